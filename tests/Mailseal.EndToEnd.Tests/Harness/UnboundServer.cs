using System.Globalization;
using System.Text;
using System.Text.Json;
using Mailseal.Core.Accounts;
using Mailseal.Testing;
using Npgsql;
using Xunit.Sdk;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>unbound on a loopback port, answering only the zones tests give it (local-zone "." static: no upstream). Part of <see cref="MailStack"/>, which owns the ports, directories and lifecycle.</summary>
internal sealed class UnboundServer
{
    private readonly MailStack _stack;

    internal UnboundServer(MailStack stack) => _stack = stack;

    internal async Task StartAsync(CancellationToken ct)
    {
        var etc = Path.Combine(_stack.TempDirectory, "etc", "unbound");
        if (!File.Exists(_stack.UnboundConfigFile))
        {
            await File.WriteAllTextAsync(_stack.UnboundConfigFile, $"""
                server:
                  interface: 127.0.0.1
                  port: {_stack.DnsPort}
                  do-ip6: no
                  access-control: 127.0.0.0/8 allow
                  username: ""
                  chroot: ""
                  directory: "{etc}"
                  pidfile: "{MailStack.PidFile(_stack.TempDirectory, MailService.Unbound)}"
                  logfile: "{Path.Combine(_stack.LogDirectory, "unbound.log")}"
                  use-syslog: no
                  do-daemonize: yes
                  module-config: "iterator"
                  num-threads: 1
                  # no upstream: answer everything locally (NXDOMAIN) instead of timing out on root servers
                  local-zone: "." static
                  include: "{etc}/zones/*.conf"
                remote-control:
                  control-enable: yes
                  control-interface: "{Path.Combine(_stack.TempDirectory, "run", "unbound.ctl")}"
                  control-use-cert: no

                """, ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(etc, "zones", MailStack.Domain + ".conf"), $"""
                local-zone: "{MailStack.Domain}." static
                local-data: "{MailStack.Domain}. 300 IN MX 10 {MailStack.HostName}."
                local-data: "{MailStack.HostName}. 300 IN A 127.0.0.1"

                """, ct).ConfigureAwait(false);
            var check = await ProcessRunner.RunAsync("unbound-checkconf", [_stack.UnboundConfigFile], ct: ct).ConfigureAwait(false);
            if (check.ExitCode != 0)
            {
                throw new InvalidOperationException($"unbound-checkconf: {check.Output}");
            }
        }

        var rc = await ProcessRunner.RunDetachedAsync("unbound", ["-c", _stack.UnboundConfigFile], Path.Combine(_stack.LogDirectory, "unbound.out"), MailStack.StartTimeout, ct).ConfigureAwait(false);
        if (rc != 0)
        {
            throw new InvalidOperationException($"unbound exited {rc}\n{_stack.TailLog(MailService.Unbound)}");
        }

        await _stack.WaitUntilAsync("unbound pid file", () => _stack.IsRunning(MailService.Unbound), MailService.Unbound, ct).ConfigureAwait(false);
        await _stack.WaitUntilAsync("unbound port", () => FreePorts.IsListening(_stack.DnsPort), MailService.Unbound, ct).ConfigureAwait(false);
        _stack.RecordPid(MailService.Unbound);
        _stack.Lap("unbound up");
    }

    internal async Task ReloadAsync(CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync("unbound-control", ["-c", _stack.UnboundConfigFile, "reload"], ct: ct).ConfigureAwait(false);
        if (r.ExitCode != 0 || !r.StandardOutput.Contains("ok", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"unbound-control reload exited {r.ExitCode}: {r.Output}\n{_stack.TailLog(MailService.Unbound)}");
        }
    }

    /// <summary>
    /// Makes unbound answer <paramref name="zone"/> from <paramref name="records"/> (zone-file
    /// lines such as <c>example.org. 300 IN TXT "v=spf1 -all"</c>) and nothing else for
    /// names under it (local-zone static); replaces what an earlier call gave it.
    /// </summary>
    internal async Task SetZoneAsync(string zone, IEnumerable<string> records, CancellationToken ct = default)
    {
        var name = zone.TrimEnd('.').ToLowerInvariant();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"local-zone: \"{name}.\" static\n");
        foreach (var r in records)
        {
            if (r.Contains('\'', StringComparison.Ordinal) || r.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException($"a record may not contain a single quote or a newline: {r}", nameof(records));
            }

            sb.Append(CultureInfo.InvariantCulture, $"local-data: '{r}'\n");
        }

        await File.WriteAllTextAsync(Path.Combine(_stack.TempDirectory, "etc", "unbound", "zones", name + ".conf"), sb.ToString(), ct).ConfigureAwait(false);
        await ReloadAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Removes a zone given with <see cref="SetZoneAsync"/>.</summary>
    internal async Task RemoveZoneAsync(string zone, CancellationToken ct = default)
    {
        File.Delete(Path.Combine(_stack.TempDirectory, "etc", "unbound", "zones", zone.TrimEnd('.').ToLowerInvariant() + ".conf"));
        await ReloadAsync(ct).ConfigureAwait(false);
    }
}
