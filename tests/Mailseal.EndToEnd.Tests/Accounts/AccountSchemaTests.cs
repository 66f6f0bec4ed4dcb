using Mailseal.Core.Accounts;
using Mailseal.EndToEnd.Tests.Harness;
using Npgsql;

namespace Mailseal.EndToEnd.Tests.Accounts;

/// <summary>AccountSchema on a real PostgreSQL: idempotent DDL, its constraints, and the tutorial migration.</summary>
[Collection(MailStackCollection.Name)]
public sealed class AccountSchemaTests
{
    private readonly MailStack _stack;

    public AccountSchemaTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task Apply_creates_the_schema_of_the_design_and_running_it_again_changes_nothing()
    {
        await using var scratch = await ScratchDatabase.CreateAsync(_stack);
        await using var db = await scratch.OpenAsync();
        await AccountSchema.ApplyAsync(db, CancellationToken.None);
        await AccountSchema.ApplyAsync(db, CancellationToken.None);

        Assert.Equal(
            ["users.email text NO", "users.pgpkey text NO", "users.key_fingerprint text YES", "users.password text NO", "users.maildir text NO", "users.created timestamp with time zone NO", "aliases.alias text NO", "aliases.email text NO"],
            await Columns(db));

        await Exec(db, "INSERT INTO users (email, pgpkey, password, maildir) VALUES ('bob@example.test', 'KEY', '{ARGON2ID}x', 'example.test/bob/')");
        await Exec(db, "INSERT INTO aliases (alias, email) VALUES ('robert@example.test', 'bob@example.test')");
        Assert.Equal(PostgresErrorCodes.CheckViolation, (await Assert.ThrowsAsync<PostgresException>(() =>
            Exec(db, "INSERT INTO users (email, pgpkey, password, maildir) VALUES ('Carol@example.test', 'KEY', 'x', 'example.test/carol/')"))).SqlState);
        Assert.Equal(PostgresErrorCodes.CheckViolation, (await Assert.ThrowsAsync<PostgresException>(() =>
            Exec(db, "INSERT INTO aliases (alias, email) VALUES ('bare', 'bob@example.test')"))).SqlState);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, (await Assert.ThrowsAsync<PostgresException>(() =>
            Exec(db, "INSERT INTO users (email, pgpkey, password, maildir) VALUES ('dave@example.test', 'KEY', 'x', 'example.test/bob/')"))).SqlState);
        Assert.Equal(PostgresErrorCodes.NotNullViolation, (await Assert.ThrowsAsync<PostgresException>(() =>
            Exec(db, "INSERT INTO users (email, password, maildir) VALUES ('erin@example.test', 'x', 'example.test/erin/')"))).SqlState);
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, (await Assert.ThrowsAsync<PostgresException>(() =>
            Exec(db, "INSERT INTO aliases (alias, email) VALUES ('ghost@example.test', 'nobody@example.test')"))).SqlState);

        await Exec(db, "DELETE FROM users WHERE email = 'bob@example.test'");
        Assert.Equal(0L, await Scalar(db, "SELECT count(*) FROM aliases"));
    }

    [Fact]
    public async Task The_tutorial_schema_is_migrated_bare_alias_local_parts_get_the_target_domain()
    {
        await using var scratch = await ScratchDatabase.CreateAsync(_stack);
        await using var db = await scratch.OpenAsync();
        // exactly the tutorial's tables and rows
        await Exec(db, """
            CREATE TABLE users (email text NOT NULL, pgpkey text NOT NULL, password text NOT NULL, maildir text NOT NULL, created TIMESTAMPTZ DEFAULT NOW());
            CREATE TABLE aliases (alias text NOT NULL, email text NOT NULL);
            INSERT INTO users (email, pgpkey, password, maildir) VALUES ('Astronaut57@supersecure.mydomain.net', 'KEY', '{SHA512}x', 'astronaut57/');
            INSERT INTO aliases (alias, email) VALUES ('astronaut57', 'astronaut57@supersecure.mydomain.net');
            INSERT INTO aliases (alias, email) VALUES ('Postmaster', 'astronaut57@supersecure.mydomain.net');
            INSERT INTO aliases (alias, email) VALUES ('postmaster', 'astronaut57@supersecure.mydomain.net');
            """);

        await AccountSchema.MigrateTutorialSchemaAsync(db, CancellationToken.None);
        await AccountSchema.MigrateTutorialSchemaAsync(db, CancellationToken.None);

        Assert.Equal(["astronaut57@supersecure.mydomain.net"], await Strings(db, "SELECT email FROM users"));
        Assert.Equal(
            ["astronaut57@supersecure.mydomain.net -> astronaut57@supersecure.mydomain.net", "postmaster@supersecure.mydomain.net -> astronaut57@supersecure.mydomain.net"],
            await Strings(db, "SELECT alias || ' -> ' || email FROM aliases ORDER BY alias"));
        Assert.Contains("users.key_fingerprint text YES", await Columns(db));
        Assert.Equal(PostgresErrorCodes.CheckViolation, (await Assert.ThrowsAsync<PostgresException>(() =>
            Exec(db, "INSERT INTO aliases (alias, email) VALUES ('bare', 'astronaut57@supersecure.mydomain.net')"))).SqlState);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, (await Assert.ThrowsAsync<PostgresException>(() =>
            Exec(db, "INSERT INTO users (email, pgpkey, password, maildir) VALUES ('astronaut57@supersecure.mydomain.net', 'K', 'x', 'other/')"))).SqlState);
    }

    [Fact]
    public async Task Migrating_an_empty_database_creates_the_schema()
    {
        await using var scratch = await ScratchDatabase.CreateAsync(_stack);
        await using var db = await scratch.OpenAsync();
        await AccountSchema.MigrateTutorialSchemaAsync(db, CancellationToken.None);
        Assert.Equal(8, (await Columns(db)).Count);
    }

    private static async Task<List<string>> Columns(NpgsqlConnection db) =>
        await Strings(db, """
            SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name IN ('users', 'aliases') ORDER BY table_name DESC, ordinal_position
            """);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Test helpers run only the literal SQL of these tests; no input reaches them.")]
    private static async Task<List<string>> Strings(NpgsqlConnection db, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, db);
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Test helpers run only the literal SQL of these tests; no input reaches them.")]
    private static async Task Exec(NpgsqlConnection db, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, db);
        await cmd.ExecuteNonQueryAsync();
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Test helpers run only the literal SQL of these tests; no input reaches them.")]
    private static async Task<object?> Scalar(NpgsqlConnection db, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, db);
        return await cmd.ExecuteScalarAsync();
    }

    private sealed class ScratchDatabase : IAsyncDisposable
    {
        private readonly MailStack _stack;
        private readonly string _name;

        private ScratchDatabase(MailStack stack, string name) => (_stack, _name) = (stack, name);

        public static async Task<ScratchDatabase> CreateAsync(MailStack stack)
        {
            var name = "scratch_" + Guid.NewGuid().ToString("N")[..12];
            await using var db = await stack.OpenDatabaseAsync();
            await Exec(db, $"CREATE DATABASE {name}");
            return new ScratchDatabase(stack, name);
        }

        public async Task<NpgsqlConnection> OpenAsync()
        {
            var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_stack.DatabaseConnectionString) { Database = _name }.ConnectionString);
            await c.OpenAsync();
            return c;
        }

        public async ValueTask DisposeAsync()
        {
            await using var db = await _stack.OpenDatabaseAsync();
            await Exec(db, $"DROP DATABASE {_name} WITH (FORCE)");
        }
    }
}
