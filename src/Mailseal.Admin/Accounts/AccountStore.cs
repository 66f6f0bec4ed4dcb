using Mailseal.Core;
using Mailseal.Core.Cli;
using Npgsql;

namespace Mailseal.Admin.Accounts;

/// <summary>
/// The users and aliases tables (DESIGN.md, "Keys and accounts"), written the way Dovecot's
/// SQL passdb/userdb and Postfix's pgsql maps read them. Parameterised SQL only: every value
/// an admin types travels as a parameter, never as SQL text. Each change is one statement or
/// one transaction, so a failure leaves the tables as they were. Constraint violations become
/// one-line messages that name the conflict.
/// </summary>
public sealed class AccountStore : IAsyncDisposable
{
    private const string SchemeSql = "CASE WHEN u.password ~ '^\\{[A-Za-z0-9._-]+\\}' THEN upper(substring(u.password FROM '^\\{([A-Za-z0-9._-]+)\\}')) ELSE 'NONE' END";

    private readonly NpgsqlDataSource _dataSource;

    private AccountStore(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>Opens the store for the <c>database</c> connection string.</summary>
    /// <exception cref="MailsealException">The connection string is empty or malformed.</exception>
    public static AccountStore Open(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new MailsealException("no database: set database in the [admin] section (or at the top) of mailseal.conf, or give --database", MailsealException.DefaultEnhancedStatusCode, isTransient: false, ExitCodes.Config, null);
        try
        {
            // The slim builder maps only the basic types this tool uses (text, bool, timestamptz, int).
            return new AccountStore(new NpgsqlSlimDataSourceBuilder(connectionString).EnableArrays().Build());
        }
        catch (ArgumentException e)
        {
            throw new MailsealException("bad database connection string: " + e.Message, MailsealException.DefaultEnhancedStatusCode, isTransient: false, ExitCodes.Config, e);
        }
    }

    /// <summary>Opens a connection (for schema work).</summary>
    public async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken ct) =>
        await Guard(() => _dataSource.OpenConnectionAsync(ct).AsTask()).ConfigureAwait(false);

    /// <summary>Creates an account. The address must be neither an account nor an alias yet.</summary>
    public async Task AddUserAsync(string email, string armoredKey, string fingerprint, string passwordHash, string maildir, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (await ExistsAsync(connection, transaction, "SELECT 1 FROM aliases WHERE alias = $1", email, ct).ConfigureAwait(false))
            throw Refused($"{email} is an alias; remove the alias first");
        await ExecuteAsync(connection, transaction, "INSERT INTO users (email, pgpkey, key_fingerprint, password, maildir) VALUES ($1, $2, $3, $4, $5)",
            [email, armoredKey, fingerprint, passwordHash, maildir], ct,
            unique: c => c.Contains("maildir", StringComparison.Ordinal) ? $"the maildir {maildir} is already used by another account" : $"the account {email} exists already").ConfigureAwait(false);
        await Guard(() => transaction.CommitAsync(ct)).ConfigureAwait(false);
    }

    /// <summary>Replaces an account's password hash and clears its rehash flag; false when there is no such account.</summary>
    public async Task<bool> SetPasswordAsync(string email, string passwordHash, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        int rows = await ExecuteAsync(connection, transaction, "UPDATE users SET password = $2 WHERE email = $1", [email, passwordHash], ct).ConfigureAwait(false);
        if (rows == 1 && await ExistsAsync(connection, transaction, "SELECT 1 FROM pg_class WHERE relname = 'password_rehash' AND relkind = 'r'", "", ct).ConfigureAwait(false))
            await ExecuteAsync(connection, transaction, "DELETE FROM password_rehash WHERE email = $1", [email], ct).ConfigureAwait(false);
        await Guard(() => transaction.CommitAsync(ct)).ConfigureAwait(false);
        return rows == 1;
    }

    /// <summary>Replaces an account's key; false when there is no such account.</summary>
    public async Task<bool> SetKeyAsync(string email, string armoredKey, string fingerprint, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await ExecuteAsync(connection, null, "UPDATE users SET pgpkey = $2, key_fingerprint = $3 WHERE email = $1", [email, armoredKey, fingerprint], ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Removes an account (its aliases go with it: ON DELETE CASCADE); the aliases removed, or null when there was no such account.</summary>
    public async Task<IReadOnlyList<string>?> RemoveUserAsync(string email, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        List<string> aliases = await StringsAsync(connection, transaction, "SELECT alias FROM aliases WHERE email = $1 ORDER BY alias", email, ct).ConfigureAwait(false);
        int rows = await ExecuteAsync(connection, transaction, "DELETE FROM users WHERE email = $1", [email], ct).ConfigureAwait(false);
        await Guard(() => transaction.CommitAsync(ct)).ConfigureAwait(false);
        return rows == 1 ? aliases : null;
    }

    /// <summary>Every account, ordered by address.</summary>
    public Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct) => QueryUsersAsync(null, ct);

    /// <summary>One account, or null.</summary>
    public async Task<UserRecord?> GetUserAsync(string email, CancellationToken ct) =>
        (await QueryUsersAsync(email, ct).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>The stored key text of an account, or null when there is no such account.</summary>
    public async Task<(string Key, string? Fingerprint)?> GetKeyAsync(string email, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT pgpkey, key_fingerprint FROM users WHERE email = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = email });
        await using NpgsqlDataReader reader = await Guard(() => command.ExecuteReaderAsync(ct)).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            return null;
        return (reader.GetString(0), await reader.IsDBNullAsync(1, ct).ConfigureAwait(false) ? null : reader.GetString(1));
    }

    /// <summary>Adds an alias of an existing account; the alias must be neither an account nor an alias yet.</summary>
    public async Task AddAliasAsync(string alias, string email, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (await ExistsAsync(connection, transaction, "SELECT 1 FROM users WHERE email = $1", alias, ct).ConfigureAwait(false))
            throw Refused($"{alias} is an account; an address cannot be both");
        await ExecuteAsync(connection, transaction, "INSERT INTO aliases (alias, email) VALUES ($1, $2)", [alias, email], ct,
            unique: _ => $"the alias {alias} exists already",
            foreignKey: $"there is no account {email} (an alias points at an account, not at another alias)").ConfigureAwait(false);
        await Guard(() => transaction.CommitAsync(ct)).ConfigureAwait(false);
    }

    /// <summary>Removes an alias; false when there was none.</summary>
    public async Task<bool> RemoveAliasAsync(string alias, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await ExecuteAsync(connection, null, "DELETE FROM aliases WHERE alias = $1", [alias], ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Every alias, or those of one account, ordered by alias.</summary>
    public async Task<IReadOnlyList<AliasRecord>> ListAliasesAsync(string? email, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT alias, email FROM aliases WHERE $1::text IS NULL OR email = $1 ORDER BY alias", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)email ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using NpgsqlDataReader reader = await Guard(() => command.ExecuteReaderAsync(ct)).ConfigureAwait(false);
        var list = new List<AliasRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new AliasRecord(reader.GetString(0), reader.GetString(1)));
        return list;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task<IReadOnlyList<UserRecord>> QueryUsersAsync(string? email, CancellationToken ct)
    {
        await using NpgsqlConnection connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
        bool rehashTable = await ExistsAsync(connection, null, "SELECT 1 FROM pg_class WHERE relname = 'password_rehash' AND relkind = 'r'", "", ct).ConfigureAwait(false);
        string rehash = rehashTable ? "EXISTS (SELECT 1 FROM password_rehash r WHERE r.email = u.email)" : "false";
        string sql = $"""
            SELECT u.email, u.key_fingerprint, u.maildir, u.created, {SchemeSql}, {rehash},
                   coalesce((SELECT array_agg(a.alias ORDER BY a.alias) FROM aliases a WHERE a.email = u.email), ARRAY[]::text[])
            FROM users u WHERE $1::text IS NULL OR u.email = $1 ORDER BY u.email
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)email ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using NpgsqlDataReader reader = await Guard(() => command.ExecuteReaderAsync(ct)).ConfigureAwait(false);
        var list = new List<UserRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new UserRecord(
                reader.GetString(0),
                await reader.IsDBNullAsync(1, ct).ConfigureAwait(false) ? null : reader.GetString(1),
                reader.GetString(2),
                new DateTimeOffset(DateTime.SpecifyKind(await reader.GetFieldValueAsync<DateTime>(3, ct).ConfigureAwait(false), DateTimeKind.Utc)),
                reader.GetString(4),
                reader.GetBoolean(5),
                await reader.GetFieldValueAsync<string[]>(6, ct).ConfigureAwait(false)));
        }

        return list;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Callers pass only the constant SQL of this class; values travel as parameters.")]
    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, string value, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        if (sql.Contains("$1", StringComparison.Ordinal))
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        return await Guard(() => command.ExecuteScalarAsync(ct)).ConfigureAwait(false) is not null;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Callers pass only the constant SQL of this class; values travel as parameters.")]
    private static async Task<List<string>> StringsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, string value, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        await using NpgsqlDataReader reader = await Guard(() => command.ExecuteReaderAsync(ct)).ConfigureAwait(false);
        var list = new List<string>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            list.Add(reader.GetString(0));
        return list;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Callers pass only the constant SQL of this class; values travel as parameters.")]
    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, string[] values, CancellationToken ct,
        Func<string, string>? unique = null, string? foreignKey = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (string value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        try
        {
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && unique is not null)
        {
            throw Refused(unique(e.ConstraintName ?? string.Empty));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && foreignKey is not null)
        {
            throw Refused(foreignKey);
        }
        catch (NpgsqlException e)
        {
            throw DatabaseError(e);
        }
    }

    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw DatabaseError(e);
        }
    }

    private static async Task Guard(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw DatabaseError(e);
        }
    }

    /// <summary>A refusal the admin can act on: exit 65 (EX_DATAERR), nothing changed.</summary>
    internal static MailsealException Refused(string message) =>
        new(message, MailsealException.DefaultEnhancedStatusCode, isTransient: false, ExitCodes.DataError, null);

    /// <summary>A database failure: exit 75, with PostgreSQL's own words (never the connection string: it may hold a password).</summary>
    internal static MailsealException DatabaseError(NpgsqlException e)
    {
        string detail = e is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : e.Message;
        if (e is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable })
            detail += " (run mailseal-admin db init, or db migrate for an existing database)";
        return new MailsealException("database: " + detail, MailsealException.DefaultEnhancedStatusCode, e.IsTransient, ExitCodes.TempFail, e);
    }
}
