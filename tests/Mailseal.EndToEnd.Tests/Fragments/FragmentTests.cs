using System.Text;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Fragments;

/// <summary>postfix/apply.sh and the shipped fragments, checked by the real postfix and doveconf.</summary>
[Collection(MailStackCollection.Name)]
public sealed class FragmentTests
{
    private readonly MailStack _stack;

    public FragmentTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task Postfix_check_passes_on_the_applied_fragments_and_they_are_in_effect()
    {
        var check = await _stack.PostfixCheckAsync();
        Assert.True(check.ExitCode == 0, $"postfix check exited {check.ExitCode}: {check.Output}\n{_stack.TailLog(MailService.Postfix)}");

        var main = await Postconf("-h", "virtual_transport", "virtual_mailbox_domains", "virtual_mailbox_maps", "virtual_alias_maps");
        Assert.Equal(
            [$"lmtp:unix:{_stack.LmtpSocket}", MailStack.Domain,
             "proxy:pgsql:$config_directory/mailseal-pgsql-mailboxes.cf", "proxy:pgsql:$config_directory/mailseal-pgsql-aliases.cf"],
            main.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var submission = await Postconf("-M", $"127.0.0.1:{_stack.SubmissionPort}/inet");
        Assert.Contains("smtpd_sasl_auth_enable=yes", submission, StringComparison.Ordinal);
        Assert.Contains($"smtpd_sasl_path={_stack.DovecotAuthSocket}", submission, StringComparison.Ordinal);

        var map = Path.Combine(_stack.PostfixConfigDirectory, "mailseal-pgsql-mailboxes.cf");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(map));
        Assert.DoesNotContain("@", (await File.ReadAllTextAsync(map)).Replace("%s", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

        // Postfix answers the map query through proxymap and the database
        var account = await _stack.CreateAccountAsync($"map-{Guid.NewGuid():N}@{MailStack.Domain}");
        var lookup = await ProcessRunner.RunCheckedAsync("postmap", ["-c", _stack.PostfixConfigDirectory, "-q", account.Email, $"pgsql:{map}"]);
        Assert.Equal(account.Maildir, lookup.StandardOutput.Trim());

        var dovecot = await ProcessRunner.RunCheckedAsync("doveconf", ["-c", _stack.DovecotConfigFile, "-n"]);
        Assert.Contains("driver = sql", dovecot.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"unix_listener {_stack.LmtpSocket}", dovecot.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_per_test_fragment_changes_the_running_postfix_and_reset_undoes_it()
    {
        var word = "w" + Guid.NewGuid().ToString("N")[..10];
        var port = FreePorts.Take(1)[0];
        try
        {
            await _stack.ApplyPostfixFragmentAsync("tests/Mailseal.EndToEnd.Tests/TestData/postfix/extra-listener.postconf", new Dictionary<string, string>
            {
                ["BANNER_WORD"] = word,
                ["EXTRA_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            Assert.Equal(0, (await _stack.PostfixCheckAsync()).ExitCode);
            await WaitForListener(port, open: true);
            var transcript = new MemoryStream();
            using (var smtp = await TestClients.ConnectSmtpAsync(port, logger: new MailKit.ProtocolLogger(transcript, leaveOpen: true)))
            {
                await smtp.DisconnectAsync(true);
            }

            // the first line of the EHLO reply names the host
            Assert.Contains($"S: 250-{MailStack.HostName}", Encoding.UTF8.GetString(transcript.ToArray()), StringComparison.Ordinal);

            Assert.Contains("syslog_name=postfix/extra", await Postconf("-M", $"127.0.0.1:{port}/inet"), StringComparison.Ordinal);
            Assert.Contains(word, await Greeting(_stack.SmtpPort), StringComparison.Ordinal);
        }
        finally
        {
            await _stack.ResetPostfixConfigAsync();
        }

        await WaitForListener(port, open: false);
        Assert.DoesNotContain(word, await Greeting(_stack.SmtpPort), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_refuses_an_unfilled_placeholder_or_a_short_master_entry_and_writes_nothing()
    {
        var dir = ScratchConfigDirectory();
        var before = await File.ReadAllTextAsync(Path.Combine(dir, "main.cf"));

        var unfilled = await Apply(dir, "unfilled.postconf");
        Assert.Equal(78, unfilled.ExitCode);
        Assert.Contains("@NO_SUCH_VARIABLE@", unfilled.StandardError, StringComparison.Ordinal);
        Assert.Single(unfilled.StandardError.Trim().Split('\n'));

        var shortEntry = await Apply(dir, "short-master.postconf");
        Assert.Equal(78, shortEntry.ExitCode);
        Assert.Contains("8 fields", shortEntry.StandardError, StringComparison.Ordinal);

        var missing = await Apply(dir, "no-such-fragment.postconf");
        Assert.Equal(66, missing.ExitCode);

        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(dir, "main.cf")));
    }

    [Fact]
    public async Task Apply_inserts_values_literally_even_with_ampersands_and_slashes()
    {
        var dir = ScratchConfigDirectory();
        const string odd = "a&b/c\\d $x";
        var r = await Apply(dir, "literal.postconf", new Dictionary<string, string> { ["ODD_VALUE"] = odd });
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("\nmailseal_test_value = " + odd + "\n", await File.ReadAllTextAsync(Path.Combine(dir, "main.cf")), StringComparison.Ordinal);
    }

    private string ScratchConfigDirectory()
    {
        var dir = Path.Combine(_stack.TempDirectory, "scratch-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "main.cf"), "compatibility_level = 3.6\n");
        File.WriteAllText(Path.Combine(dir, "master.cf"), "smtp inet n - n - - smtpd\n");
        return dir;
    }

    private static Task<ProcessResult> Apply(string dir, string fragment, IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync(
            "/bin/bash",
            [Path.Combine(MailStack.RepositoryRoot, "postfix", "apply.sh"), dir, Path.Combine(AppContext.BaseDirectory, "TestData", "postfix", fragment)],
            environment: environment);

    private async Task<string> Postconf(params string[] args)
    {
        var r = await ProcessRunner.RunCheckedAsync("postconf", ["-c", _stack.PostfixConfigDirectory, .. args]);
        return r.StandardOutput;
    }

    private static async Task<string> Greeting(int port)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        using var reader = new StreamReader(tcp.GetStream());
        return await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)) ?? string.Empty;
    }

    private static async Task WaitForListener(int port, bool open)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (FreePorts.IsListening(port) != open)
        {
            Assert.True(DateTime.UtcNow < deadline, $"port {port} did not {(open ? "open" : "close")}");
            await Task.Delay(50);
        }
    }
}
