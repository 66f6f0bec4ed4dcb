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
    /// Creates the schema if it does not exist yet; running it again changes nothing. The
    /// statements run in one transaction, so a failure leaves the database as it was.
    /// </summary>
    /// <param name="connection">An open connection to the mail database.</param>
    /// <param name="ct">Cancels the wait for the server.</param>
    public static async Task ApplyAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(Ddl, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings a database built by the tutorial (users without keys or constraints, aliases with
    /// bare local parts) to the schema of <see cref="Ddl"/>, in one transaction. Idempotent.
    /// When no <c>users</c> table exists it simply creates the schema.
    /// </summary>
    /// <param name="connection">An open connection to the mail database.</param>
    /// <param name="ct">Cancels the wait for the server.</param>
    public static async Task MigrateTutorialSchemaAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        bool hasUsers;
        bool hasAliases;
        await using (var probe = new NpgsqlCommand(
            "SELECT to_regclass('users') IS NOT NULL, to_regclass('aliases') IS NOT NULL", connection, transaction))
        await using (var reader = await probe.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await reader.ReadAsync(ct).ConfigureAwait(false);
            hasUsers = reader.GetBoolean(0);
            hasAliases = reader.GetBoolean(1);
        }

        if (hasUsers && hasAliases)
        {
            await using var migrate = new NpgsqlCommand(TutorialMigration, connection, transaction);
            await migrate.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        else if (hasUsers)
        {
            // Only a tutorial users table: migrate it with an empty aliases table.
            await using var create = new NpgsqlCommand(
                "CREATE TABLE aliases (alias text NOT NULL, email text NOT NULL);", connection, transaction);
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using var migrate = new NpgsqlCommand(TutorialMigration, connection, transaction);
            await migrate.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using (var ddl = new NpgsqlCommand(Ddl, connection, transaction))
        {
            await ddl.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await transaction.CommitAsync(ct).ConfigureAwait(false);
    }
}
