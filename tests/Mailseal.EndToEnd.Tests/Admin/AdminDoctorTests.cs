using Mailseal.EndToEnd.Tests.Greyd;
using Mailseal.EndToEnd.Tests.Harness;
using Npgsql;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>
/// mailseal-admin doctor on the real stack: a healthy install (a copy of the harness's Postfix
/// configuration with the pipe and greyd fragments applied, a real greyd, the real Dovecot
/// configuration, a scratch database) passes; each broken thing, one at a time, is one FAIL line.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class AdminDoctorTests
{
    private readonly MailStack _stack;

    public AdminDoctorTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task A_healthy_install_passes_and_each_broken_thing_is_one_fail_line()
    {
        await using var scratch = await AdminTool.Scratch.CreateAsync(_stack);
        var admin = await AdminTool.CreateAsync(_stack, scratch.ConnectionString);
        var id = Guid.NewGuid().ToString("N")[..8];
        var email = $"doctor-{id}@{MailStack.Domain}";
        await admin.RunCheckedAsync(["db", "init"]);
        var key = await _stack.GenerateKeyAsync(email);
        var keyFile = Path.Combine(_stack.TempDirectory, $"doctor-{id}.asc");
        await File.WriteAllTextAsync(keyFile, key.PublicKeyArmored);
        await admin.RunCheckedAsync(["user", "add", email, "--key", keyFile], "pw\n");

        var folder = Path.Combine(_stack.TempDirectory, "doctor-keys-" + id);
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        var dir = Path.Combine(_stack.TempDirectory, "doctor-" + id);
        var none = dir + "-none";
        await File.WriteAllTextAsync(none, string.Empty);
        var greyd = await GreydDaemon.StartAsync(_stack, "--delay=2", "--store", "sqlite:" + Path.Combine(dir + "-greyd.sqlite"), "--whitelist-clients=" + none, "--whitelist-recipients=" + none);
        bool stopped = false;
        try
        {
            var healthy = await PostfixCopyAsync(dir + "-postfix", withFilter: true, greyd.Listen);
            var unfiltered = await PostfixCopyAsync(dir + "-postfix-base", withFilter: false, greyd.Listen);
            string[] doctor = ["doctor", "--postfix-config", healthy, "--dovecot-config", _stack.DovecotConfigFile, "--key-dir", folder];

            var ok = await admin.RunAsync(doctor);
            Assert.True(ok.ExitCode == 0, ok.Output);
            foreach (var line in new[] { "OK   database: reachable", "OK   schema: version 2", "OK   keys: every address", "OK   key folder:", $"OK   postfix 127.0.0.1:{_stack.SmtpPort} content_filter: mailseal-pipe:dummy", $"OK   postfix policy {greyd.Listen}: answers", "OK   dovecot password_query", "OK   dovecot user_query" })
                Assert.Contains(line, ok.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain("FAIL", ok.StandardOutput, StringComparison.Ordinal);

            // PostgreSQL unreachable (a database that does not exist).
            await FailsAsync(admin, doctor, "FAIL database:", database: new NpgsqlConnectionStringBuilder(scratch.ConnectionString) { Database = "nonexistent_" + id }.ConnectionString);

            // A key file anyone can rewrite.
            var loose = Path.Combine(folder, "loose@example.test.asc");
            await File.WriteAllTextAsync(loose, key.PublicKeyArmored);
            File.SetUnixFileMode(loose, (UnixFileMode)0b110_110_110);
            await FailsAsync(admin, doctor, "FAIL key folder: loose@example.test.asc is writable by group or others");
            File.Delete(loose);

            // An account whose stored key cannot be used.
            await using (var db = await scratch.OpenAsync())
            {
                await using var broken = new NpgsqlCommand("UPDATE users SET pgpkey = 'not a key' WHERE email = $1", db) { Parameters = { new() { Value = email } } };
                await broken.ExecuteNonQueryAsync();
            }

            await FailsAsync(admin, doctor, $"FAIL keys: 1 address(es) without a usable key, their mail is deferred: {email}");
            await admin.RunCheckedAsync(["key", "rotate", email, keyFile]);

            // Postfix without the content filter fragment.
            await FailsAsync(admin, ["doctor", "--postfix-config", unfiltered, "--dovecot-config", _stack.DovecotConfigFile, "--key-dir", folder], "FAIL postfix content_filter: no smtpd listener has a content_filter");

            // Dovecot's user_query no longer matches the schema (the column it reads was renamed).
            await using (var db = await scratch.OpenAsync())
            {
                await using var rename = new NpgsqlCommand("ALTER TABLE users RENAME COLUMN maildir TO mail_dir", db);
                await rename.ExecuteNonQueryAsync();
            }

            var dovecot = await admin.RunAsync(doctor);
            Assert.Equal(1, dovecot.ExitCode);
            Assert.Contains("FAIL dovecot user_query:", dovecot.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("column \"maildir\" does not exist", dovecot.StandardOutput, StringComparison.Ordinal);
            await using (var db = await scratch.OpenAsync())
            {
                await using var back = new NpgsqlCommand("ALTER TABLE users RENAME COLUMN mail_dir TO maildir", db);
                await back.ExecuteNonQueryAsync();
            }

            // The policy daemon stopped: smtpd would defer every recipient.
            await greyd.DisposeAsync();
            stopped = true;
            await FailsAsync(admin, doctor, $"FAIL postfix policy {greyd.Listen}:");
        }
        finally
        {
            if (!stopped)
                await greyd.DisposeAsync();
        }
    }

    private static async Task FailsAsync(AdminTool admin, string[] doctor, string expected, string? database = null)
    {
        var r = await admin.RunAsync(doctor, database: database);
        Assert.True(r.ExitCode == 1, $"{expected}: exit {r.ExitCode}\n{r.Output}");
        var fails = r.StandardOutput.Split('\n').Where(l => l.StartsWith("FAIL", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(fails);
        Assert.True(line.StartsWith(expected, StringComparison.Ordinal), $"expected '{expected}', got:\n{r.StandardOutput}");
        Assert.Contains(" -> ", line, StringComparison.Ordinal);
    }

    private async Task<string> PostfixCopyAsync(string dir, bool withFilter, string policy)
    {
        Directory.CreateDirectory(dir);
        foreach (var f in new[] { "main.cf", "master.cf" })
            File.Copy(Path.Combine(_stack.PostfixConfigDirectory, f), Path.Combine(dir, f), overwrite: true);
        var tools = await _stack.ToolsDirectoryAsync();
        var fragments = new List<string> { "postfix/mailseal-greyd.postconf" };
        if (withFilter)
            fragments.Insert(0, "postfix/mailseal-pipe.postconf");
        await _stack.ApplyFragmentsAsync(dir, fragments, new Dictionary<string, string>
        {
            ["MAILSEAL_PIPE"] = Path.Combine(tools, "mailseal-pipe"),
            ["MAILSEAL_CONF"] = "/dev/null",
            ["PIPE_USER"] = MailStack.PipeUser,
            ["REINJECT_SERVICE"] = $"127.0.0.1:{FreePorts.Take(1)[0]}",
            ["MESSAGE_SIZE_LIMIT"] = "1000000",
            ["REINJECT_SIZE_LIMIT"] = "1500000",
            ["GREYD_LISTEN"] = policy,
        });
        return dir;
    }
}
