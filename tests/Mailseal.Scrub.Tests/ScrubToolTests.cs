using System.Diagnostics;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Scrub.Tests;

/// <summary>mailseal-scrub run as a process, the way Postfix and shell scripts run it.</summary>
public class ScrubToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailseal-scrub").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(PublishedTools.Path("mailseal-scrub"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private const string Submission =
        "Received: from laptop.home (host.example.net [203.0.113.5])\n\tby mail.example.org (Postfix) with ESMTPSA id 4Fz\n\tfor <bob@example.net>; Sun, 22 Nov 2026 02:00:00 +0000\n" +
        "From: alice@example.org\nUser-Agent: Thunderbird\nSubject: s\n\nbody\n";

    [Fact]
    public async Task Each_message_is_one_syslog_line_in_postfixs_shape()
    {
        using var syslog = new SyslogListener(Path.Combine(_dir, "log"));
        var (exit, _, stderr) = await RunAsync(Submission, "--syslog-socket", syslog.Path, "--queue-id", "4Fz9");
        Assert.True(exit == 0, stderr);
        Assert.Matches(SyslogListener.LinePrefixPattern("mailseal-scrub") + "4Fz9: action=scrubbed[^\"]*$", Assert.Single(syslog.Drain()));
    }

    [Fact]
    public async Task Scrubs_stdin_to_stdout()
    {
        var (exit, stdout, stderr) = await RunAsync(Submission, "--syslog-socket", Path.Combine(_dir, "no-log"));
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.Equal(
            "Received: from [127.0.0.1] (localhost [127.0.0.1])\n\tby mail.example.org (Postfix) with ESMTPSA id 4Fz\n\tfor <bob@example.net>; Sun, 22 Nov 2026 02:00:00 +0000\n" +
            "From: alice@example.org\nSubject: s\n\nbody\n",
            stdout);
    }

    [Fact]
    public async Task A_bad_rules_file_is_one_line_and_tempfail()
    {
        string rules = Path.Combine(_dir, "rules");
        File.WriteAllText(rules, "drop User-Agent\nrewrite Subject\n");
        var (exit, stdout, stderr) = await RunAsync(Submission, "--scrub-rules", rules);
        Assert.Equal(75, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"4.3.5 mailseal-scrub: {rules}, line 2: unknown rule 'rewrite' (expected 'drop NAME' or 'anonymize-submission-received')", stderr.TrimEnd('\n'));
    }

    [Fact]
    public async Task Rules_come_from_the_config_file_scrub_section()
    {
        string rules = Path.Combine(_dir, "rules");
        File.WriteAllText(rules, "drop Subject\n");
        string conf = Path.Combine(_dir, "mailseal.conf");
        File.WriteAllText(conf, $"syslog_socket = {_dir}/no-log\n[scrub]\nscrub_rules = {rules}\n");
        var (exit, stdout, _) = await RunAsync("From: a@example.org\nSubject: s\nUser-Agent: kept\n\nb\n", "--config", conf);
        Assert.Equal(0, exit);
        Assert.Equal("From: a@example.org\nUser-Agent: kept\n\nb\n", stdout);
    }

    [Fact]
    public async Task Prints_the_postfix_table_and_the_rules()
    {
        var (exit, table, _) = await RunAsync("", "postfix-header-checks");
        Assert.Equal(0, exit);
        Assert.Contains("/^User-Agent:/ IGNORE\n", table, StringComparison.Ordinal);
        Assert.Contains("REPLACE Received: from [127.0.0.1] (localhost [127.0.0.1])${1}", table, StringComparison.Ordinal);

        var (exit2, rules, _) = await RunAsync("", "rules");
        Assert.Equal(0, exit2);
        Assert.Equal("drop User-Agent\ndrop X-Mailer\ndrop X-Enigmail\ndrop X-Originating-IP\nanonymize-submission-received\n", rules);
    }

    [Fact]
    public async Task Writes_its_man_page()
    {
        var (exit, page, _) = await RunAsync("", "--generate-man-page");
        Assert.Equal(0, exit);
        Assert.Contains(".TH", page, StringComparison.Ordinal);
        Assert.Contains("scrub\\-rules", page, StringComparison.Ordinal);
    }
}
