using Mailseal.EndToEnd.Tests.Harness;
using Npgsql;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>mailseal-admin db init / migrate / status on scratch databases of the stack's PostgreSQL.</summary>
[Collection(MailStackCollection.Name)]
public sealed class AdminSchemaTests
{
    private readonly MailStack _stack;

    public AdminSchemaTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task A_tutorial_database_migrated_by_the_tool_keeps_every_row_and_its_password_still_verifies()
    {
        await using var scratch = await AdminTool.Scratch.CreateAsync(_stack);
        var admin = await AdminTool.CreateAsync(_stack, scratch.ConnectionString);
        var sha512 = (await ProcessRunner.RunCheckedAsync("doveadm", ["pw", "-s", "SHA512", "-p", "tutorial-pw"])).StandardOutput.Trim();
        var key = await _stack.GenerateKeyAsync("astronaut57@supersecure.mydomain.net");
        await using (var db = await scratch.OpenAsync())
        {
            // the tutorial's tables and rows, exactly as it has the reader type them into psql
            await ExecAsync(db, """
                CREATE TABLE users (email text NOT NULL, pgpkey text NOT NULL, password text NOT NULL, maildir text NOT NULL, created TIMESTAMPTZ DEFAULT NOW());
                CREATE TABLE aliases (alias text NOT NULL, email text NOT NULL);
                """);
            await ExecAsync(db, "INSERT INTO users (email, pgpkey, password, maildir) VALUES ('astronaut57@supersecure.mydomain.net', $1, $2, 'astronaut57/')", "\n" + key.PublicKeyArmored + "\n", sha512);
            await ExecAsync(db, "INSERT INTO users (email, pgpkey, password, maildir) VALUES ('Second@SuperSecure.mydomain.net', $1, '{SHA512-CRYPT}$6$x$y', 'second/')", key.PublicKeyArmored);
            await ExecAsync(db, "INSERT INTO aliases (alias, email) VALUES ('astronaut57', 'astronaut57@supersecure.mydomain.net'), ('postmaster', 'astronaut57@supersecure.mydomain.net'), ('abuse@supersecure.mydomain.net', 'second@supersecure.mydomain.net')");
        }

        Assert.Equal(1, (await admin.RunAsync(["db", "status"])).ExitCode);
        Assert.Equal(65, (await admin.RunAsync(["db", "init"])).ExitCode);
        var migrated = await admin.RunCheckedAsync(["db", "migrate"]);
        Assert.Contains("schema migrated from version 1 to 2", migrated.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("1 account(s) hold an unsalted or plain password hash", migrated.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("schema is current", (await admin.RunCheckedAsync(["db", "migrate"])).StandardOutput, StringComparison.Ordinal);
        await admin.RunCheckedAsync(["db", "status"]);

        await using (var db = await scratch.OpenAsync())
        {
            Assert.Equal(
                ["astronaut57@supersecure.mydomain.net astronaut57/ " + sha512, "second@supersecure.mydomain.net second/ {SHA512-CRYPT}$6$x$y"],
                await StringsAsync(db, "SELECT email || ' ' || maildir || ' ' || password FROM users ORDER BY email"));
            Assert.Equal(
                ["abuse@supersecure.mydomain.net -> second@supersecure.mydomain.net", "astronaut57@supersecure.mydomain.net -> astronaut57@supersecure.mydomain.net", "postmaster@supersecure.mydomain.net -> astronaut57@supersecure.mydomain.net"],
                await StringsAsync(db, "SELECT alias || ' -> ' || email FROM aliases ORDER BY alias"));
            Assert.Equal(["astronaut57@supersecure.mydomain.net SHA512"], await StringsAsync(db, "SELECT email || ' ' || scheme FROM password_rehash"));
            Assert.Equal("\n" + key.PublicKeyArmored + "\n", (await StringsAsync(db, "SELECT pgpkey FROM users WHERE email LIKE 'astro%'"))[0]);
        }

        // the kept hash still verifies for Dovecot, and the tool's reading of the row shows the flag
        await ProcessRunner.RunCheckedAsync("doveadm", ["pw", "-t", sha512, "-p", "tutorial-pw"]);
        var list = await admin.RunCheckedAsync(["user", "list"]);
        Assert.Contains("SHA512 (rehash)", list.StandardOutput, StringComparison.Ordinal);
        var key2 = await admin.RunCheckedAsync(["key", "show", "astronaut57@supersecure.mydomain.net"]);
        Assert.Contains(key.Fingerprint, key2.StandardOutput, StringComparison.Ordinal);

        // the next password change replaces the hash and clears the flag
        await admin.RunCheckedAsync(["user", "passwd", "astronaut57@supersecure.mydomain.net"], "new-pw\n");
        await using (var db = await scratch.OpenAsync())
        {
            Assert.Empty(await StringsAsync(db, "SELECT email FROM password_rehash"));
            Assert.StartsWith("{ARGON2ID}$argon2id$", (await StringsAsync(db, "SELECT password FROM users WHERE email LIKE 'astro%'"))[0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Db_init_creates_the_schema_in_an_empty_database_and_is_idempotent()
    {
        await using var scratch = await AdminTool.Scratch.CreateAsync(_stack);
        var admin = await AdminTool.CreateAsync(_stack, scratch.ConnectionString);
        Assert.Contains("empty: run db init", (await admin.RunAsync(["db", "status"])).StandardOutput, StringComparison.Ordinal);
        Assert.Contains("schema created (version 2)", (await admin.RunCheckedAsync(["db", "init"])).StandardOutput, StringComparison.Ordinal);
        Assert.Contains("schema is current", (await admin.RunCheckedAsync(["db", "init"])).StandardOutput, StringComparison.Ordinal);
        await using var db = await scratch.OpenAsync();
        Assert.Equal(["1", "2"], await StringsAsync(db, "SELECT version::text FROM mailseal_schema_version ORDER BY version"));
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_is_one_line_and_exit_75_without_the_connection_string()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var r = await admin.RunAsync(["user", "list"], database: "Host=127.0.0.1;Port=1;Username=x;Password=s3cret-in-connstring;Timeout=2");
        Assert.Equal(75, r.ExitCode);
        Assert.Single(r.StandardError.Trim().Split('\n'));
        Assert.DoesNotContain("s3cret-in-connstring", r.Output, StringComparison.Ordinal);
    }

    private static async Task ExecAsync(NpgsqlConnection db, string sql, params string[] values)
    {
#pragma warning disable CA2100 // the tests' own constant SQL
        await using var cmd = new NpgsqlCommand(sql, db);
#pragma warning restore CA2100
        foreach (var v in values)
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> StringsAsync(NpgsqlConnection db, string sql)
    {
#pragma warning disable CA2100 // the tests' own constant SQL
        await using var cmd = new NpgsqlCommand(sql, db);
#pragma warning restore CA2100
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync())
            list.Add(reader.GetString(0));
        return list;
    }
}
