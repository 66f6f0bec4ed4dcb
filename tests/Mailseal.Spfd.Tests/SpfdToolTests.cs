using System.Diagnostics;
using Mailseal.Testing;

namespace Mailseal.Spfd.Tests;

/// <summary>The published mailseal-spfd as Postfix's spawn(8) runs it: one request on stdin, the answer on stdout, the log to syslog.</summary>
public sealed class SpfdToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("spfd-tool-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Spawn_mode_answers_on_stdout_and_logs_one_line_in_postfixs_shape()
    {
        using var syslog = new SyslogListener(Path.Combine(_dir, "log"));
        var info = new ProcessStartInfo(PublishedTools.Path("mailseal-spfd"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // A loopback client is skipped by default (skip_addresses): no DNS is asked.
        foreach (var a in new[] { "--syslog-socket", syslog.Path })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(
            "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=127.0.0.1\nhelo_name=mx.example.com\n" +
            "sender=a@example.com\nrecipient=b@example.org\ninstance=1a2b.3c4d.1\n\n");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, process.ExitCode);
        Assert.StartsWith("action=PREPEND ", await stdout, StringComparison.Ordinal);
        Assert.Equal(string.Empty, await stderr);
        var lines = syslog.Drain();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
            Assert.Matches(SyslogListener.LinePrefixPattern("mailseal-spfd") + "[^\"]*$", line);
    }
}
