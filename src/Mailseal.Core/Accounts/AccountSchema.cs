using Npgsql;

namespace Mailseal.Core.Accounts;

/// <summary>
/// The accounts schema of DESIGN.md ("Keys and accounts"), shared by Mailseal, Postfix's
/// pgsql maps and Dovecot's SQL passdb/userdb. The DDL lives here once; <c>mailseal-admin db
/// init/migrate</c> and the end-to-end harness apply it through this class.
/// </summary>
/// <remarks>
/// <para><c>users</c>: one row per mailbox. <c>email</c> is the lower-case address,
/// <c>pgpkey</c> the armored certificate(s) mail to it is encrypted to,
/// <c>key_fingerprint</c> the fingerprint to pick when several are stored, <c>password</c> a
/// Dovecot password hash with its scheme prefix (e.g. <c>{ARGON2ID}...</c>), <c>maildir</c> the
/// mailbox path relative to the mail root.</para>
/// <para><c>aliases</c>: a full lower-case address that delivers to a user.</para>
/// </remarks>
public static class AccountSchema
{
    /// <summary>
    /// The schema, written so that running it again changes nothing (CREATE ... IF NOT EXISTS).
    /// </summary>
    public const string Ddl = """
        CREATE TABLE IF NOT EXISTS users (
            email           text        PRIMARY KEY CHECK (email = lower(email) AND position('@' IN email) > 1),
            pgpkey          text        NOT NULL,
            key_fingerprint text,
            password        text        NOT NULL,
            maildir         text        NOT NULL UNIQUE,
            created         timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS aliases (
            alias text PRIMARY KEY CHECK (alias = lower(alias) AND position('@' IN alias) > 1),
            email text NOT NULL REFERENCES users(email) ON DELETE CASCADE
        );
        CREATE INDEX IF NOT EXISTS aliases_email ON aliases (email);
        """;

    /// <summary>
    /// Migrates the tutorial's schema in place: its <c>aliases</c> rows hold bare local parts
    /// (<c>astronaut57</c>), which get the target's domain appended; addresses are lower-cased;
    /// the keys, the fingerprint column and the constraints of <see cref="Ddl"/> are added.
    /// Rows that already have a domain are left as they are, so running it twice is harmless.
    /// </summary>
    public const string TutorialMigration = """
        ALTER TABLE users ADD COLUMN IF NOT EXISTS key_fingerprint text;
        UPDATE users SET email = lower(email) WHERE email <> lower(email);
        UPDATE users SET created = now() WHERE created IS NULL;
        ALTER TABLE users ALTER COLUMN created SET DEFAULT now();
        ALTER TABLE users ALTER COLUMN created SET NOT NULL;
        UPDATE aliases SET email = lower(email) WHERE email <> lower(email);
        UPDATE aliases SET alias = lower(alias) || '@' || split_part(email, '@', 2)
            WHERE position('@' IN alias) = 0;
        UPDATE aliases SET alias = lower(alias) WHERE alias <> lower(alias);
        DELETE FROM aliases a USING aliases b
            WHERE a.alias = b.alias AND a.email = b.email AND a.ctid > b.ctid;
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'p') THEN
                ALTER TABLE users ADD PRIMARY KEY (email);
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'u') THEN
                ALTER TABLE users ADD UNIQUE (maildir);
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c') THEN
                ALTER TABLE users ADD CHECK (email = lower(email) AND position('@' IN email) > 1);
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'aliases'::regclass AND contype = 'p') THEN
                ALTER TABLE aliases ADD PRIMARY KEY (alias);
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'aliases'::regclass AND contype = 'f') THEN
                ALTER TABLE aliases ADD FOREIGN KEY (email) REFERENCES users(email) ON DELETE CASCADE;
            END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'aliases'::regclass AND contype = 'c') THEN
                ALTER TABLE aliases ADD CHECK (alias = lower(alias) AND position('@' IN alias) > 1);
            END IF;
        END
        $$;
        CREATE INDEX IF NOT EXISTS aliases_email ON aliases (email);
        """;

    /// <summary>
    /// Migration 2: the passwords that must be replaced at the user's next password change.
    /// The tutorial hashed with unsalted <c>{SHA512}</c>; such a hash cannot be converted (the
    /// password is not known), so it is kept, Dovecot still verifies it, and its row is listed
    /// here until <c>mailseal-admin user passwd</c> writes a salted hash. Weak means unsalted or
    /// plain: Dovecot's SHA/SHA256/SHA512/MD5 families, PLAIN/CLEARTEXT, or no scheme prefix at
    /// all (then the server's default_pass_scheme decided, which the tutorial set to SHA512).
    /// </summary>
    public const string PasswordRehashDdl = """
        CREATE TABLE IF NOT EXISTS password_rehash (
            email   text        PRIMARY KEY REFERENCES users(email) ON DELETE CASCADE ON UPDATE CASCADE,
            scheme  text        NOT NULL,
            flagged timestamptz NOT NULL DEFAULT now()
        );
        INSERT INTO password_rehash (email, scheme)
            SELECT email,
                   CASE WHEN password ~ '^\{[A-Za-z0-9._-]+\}' THEN upper(substring(password FROM '^\{([A-Za-z0-9._-]+)\}')) ELSE 'NONE' END
            FROM users
            WHERE password !~ '^\{[A-Za-z0-9._-]+\}'
               OR upper(substring(password FROM '^\{([A-Za-z0-9._-]+)\}')) IN
                  ('SHA', 'SHA1', 'SHA256', 'SHA512', 'MD5', 'PLAIN-MD5', 'LDAP-MD5', 'PLAIN', 'CLEARTEXT', 'CRAM-MD5', 'DIGEST-MD5', 'PLAIN-TRUNC', 'RPA', 'LANMAN', 'NTLM')
        ON CONFLICT (email) DO NOTHING;
        """;

    /// <summary>The table that records which migrations a database has had.</summary>
    public const string VersionTable = "mailseal_schema_version";

    /// <summary>The schema version this build writes: the number of the last migration.</summary>
    public const int CurrentVersion = 2;

    /// <summary>
    /// Creates the schema if it does not exist yet, or brings an older one up to
    /// <see cref="CurrentVersion"/> (see <see cref="MigrateAsync"/>); running it again changes nothing.
    /// </summary>
    /// <param name="connection">An open connection to the mail database.</param>
    /// <param name="ct">Cancels the wait for the server.</param>
    public static Task ApplyAsync(NpgsqlConnection connection, CancellationToken ct) => MigrateAsync(connection, ct);

    /// <summary>
    /// Brings a database built by the tutorial (users without keys or constraints, aliases with
    /// bare local parts) to the current schema, in one transaction. Idempotent; on an empty
    /// database it creates the schema. Same as <see cref="MigrateAsync"/>.
    /// </summary>
    /// <param name="connection">An open connection to the mail database.</param>
    /// <param name="ct">Cancels the wait for the server.</param>
    public static Task MigrateTutorialSchemaAsync(NpgsqlConnection connection, CancellationToken ct) => MigrateAsync(connection, ct);

    /// <summary>
    /// The schema version of the database: 0 when it has no users table, 1 for a users table
    /// without the version table (a tutorial database, or one made before versions were kept;
    /// migration 1 is idempotent, so applying it again is safe), else the highest recorded version.
    /// </summary>
    /// <param name="connection">An open connection to the mail database.</param>
    /// <param name="ct">Cancels the wait for the server.</param>
    public static async Task<int> ReadVersionAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return await ReadVersionAsync(connection, null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies every migration the database has not had, in order, in one transaction that
    /// holds an advisory lock (two admins migrating at once take turns), and records each in
    /// <see cref="VersionTable"/>. Migration 1 is the base schema (<see cref="Ddl"/>; a
    /// tutorial database is converted by <see cref="TutorialMigration"/> first, keeping every
    /// row), migration 2 <see cref="PasswordRehashDdl"/>. A failure rolls everything back.
    /// </summary>
    /// <param name="connection">An open connection to the mail database.</param>
    /// <param name="ct">Cancels the wait for the server.</param>
    /// <returns>The versions applied now (empty when the database was current).</returns>
    public static async Task<IReadOnlyList<int>> MigrateAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        // An arbitrary constant key ("MSEALSCH"): serialises concurrent migrations of one database.
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(5571236004567827272)", ct).ConfigureAwait(false);
        int version = await ReadVersionAsync(connection, transaction, ct).ConfigureAwait(false);
        bool hasVersionTable = await ScalarBoolAsync(connection, transaction, $"SELECT to_regclass('{VersionTable}') IS NOT NULL", ct).ConfigureAwait(false);
        var applied = new List<int>();
        if (!hasVersionTable || version < 1)
        {
            await ApplyBaseAsync(connection, transaction, ct).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction,
                $"CREATE TABLE IF NOT EXISTS {VersionTable} (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())", ct).ConfigureAwait(false);
            await RecordAsync(connection, transaction, 1, ct).ConfigureAwait(false);
            applied.Add(1);
            version = 1;
        }

        if (version < 2)
        {
            await ExecuteAsync(connection, transaction, PasswordRehashDdl, ct).ConfigureAwait(false);
            await RecordAsync(connection, transaction, 2, ct).ConfigureAwait(false);
            applied.Add(2);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return applied;
    }

    private static async Task ApplyBaseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        bool hasUsers = await ScalarBoolAsync(connection, transaction, "SELECT to_regclass('users') IS NOT NULL", ct).ConfigureAwait(false);
        bool hasAliases = await ScalarBoolAsync(connection, transaction, "SELECT to_regclass('aliases') IS NOT NULL", ct).ConfigureAwait(false);
        if (hasUsers)
        {
            if (!hasAliases)
            {
                // Only a tutorial users table: migrate it with an empty aliases table.
                await ExecuteAsync(connection, transaction, "CREATE TABLE aliases (alias text NOT NULL, email text NOT NULL);", ct).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, transaction, TutorialMigration, ct).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, transaction, Ddl, ct).ConfigureAwait(false);
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        if (await ScalarBoolAsync(connection, transaction, $"SELECT to_regclass('{VersionTable}') IS NOT NULL", ct).ConfigureAwait(false))
        {
            await using var max = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {VersionTable}", connection, transaction);
            return Convert.ToInt32(await max.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        return await ScalarBoolAsync(connection, transaction, "SELECT to_regclass('users') IS NOT NULL", ct).ConfigureAwait(false) ? 1 : 0;
    }

    private static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int version, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"INSERT INTO {VersionTable} (version) VALUES ($1) ON CONFLICT (version) DO NOTHING", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Only the constant SQL of this class is passed; no input is ever part of it.")]
    private static async Task<bool> ScalarBoolAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Only the constant SQL of this class is passed; no input is ever part of it.")]
    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
