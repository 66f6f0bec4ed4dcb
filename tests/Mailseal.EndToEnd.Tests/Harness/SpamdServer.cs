using System.Globalization;
using System.Text;
using System.Text.Json;
using Mailseal.Core.Accounts;
using Mailseal.Testing;
using Npgsql;
using Xunit.Sdk;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>spamd (SpamAssassin) on a loopback port, one child. Part of <see cref="MailStack"/>, which owns the ports, directories and lifecycle.</summary>
internal sealed class SpamdServer
{
    private readonly MailStack _stack;

    internal SpamdServer(MailStack stack) => _stack = stack;

    internal async Task StartAsync(CancellationToken ct)
    {
        var rc = await ProcessRunner.RunDetachedAsync(
            "spamd",
            ["--daemonize", $"--listen=127.0.0.1:{_stack.SpamdPort}", $"--pidfile={MailStack.PidFile(_stack.TempDirectory, MailService.Spamd)}", "--username=debian-spamd",
             "--max-children=1", "--min-children=1", $"--syslog={Path.Combine(_stack.LogDirectory, "spamd.log")}", "--nouser-config", "--helper-home-dir=/var/lib/spamassassin"],
            Path.Combine(_stack.LogDirectory, "spamd.out"),
            MailStack.StartTimeout,
            ct).ConfigureAwait(false);
        if (rc != 0)
        {
            throw new InvalidOperationException($"spamd exited {rc}\n{_stack.TailLog(MailService.Spamd)}");
        }

        await _stack.WaitUntilAsync("spamd port", () => FreePorts.IsListening(_stack.SpamdPort), MailService.Spamd, ct).ConfigureAwait(false);
        _stack.RecordPid(MailService.Spamd);
        _stack.Lap("spamd up");
    }
}
