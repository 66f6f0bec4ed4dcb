using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Mailseal.Dns;

namespace Mailseal.Benchmarks;

/// <summary>
/// What the spfd benchmarks (<c>spfd</c>, <c>spfd-spawn</c>) share: an unbound on
/// 127.53.0.1:53 with a test zone of <see cref="Domains"/> SPF domains, a resolv.conf naming it,
/// a policyd-spf.conf both programs read, and the requests. policyd-spf reads only
/// /etc/resolv.conf, so a program runs through <see cref="InNamespace"/> in a private mount
/// namespace (<c>unshare -m</c>) where that resolv.conf is bind-mounted over /etc/resolv.conf;
/// the machine's own file is not touched. Disposing stops unbound and deletes the folder.
/// </summary>
public sealed class SpfdTestbed : IAsyncDisposable
{
    /// <summary>Where unbound listens (port 53).</summary>
    public const string DnsAddress = "127.53.0.1";

    /// <summary>How many test domains the zone holds; requests cycle through them.</summary>
    public const int Domains = 50;

    private const string PolicydSpf = "/usr/bin/policyd-spf";

    private readonly Process _unbound;

    private SpfdTestbed(DirectoryInfo folder, Process unbound)
    {
        Folder = folder.FullName;
        _unbound = unbound;
        ResolvConf = Path.Combine(Folder, "resolv.conf");
        PolicydConf = Path.Combine(Folder, "policyd-spf.conf");
    }

    /// <summary>The private folder (sockets, configuration, unbound's log).</summary>
    public string Folder { get; }

    /// <summary>A resolv.conf naming only the test unbound.</summary>
    public string ResolvConf { get; }

    /// <summary>The policyd-spf.conf both programs read (TestOnly, no rejects on errors, loopback skipped).</summary>
    public string PolicydConf { get; }

    /// <summary>Checks that policyd-spf, unbound and unshare are installed.</summary>
    /// <exception cref="InvalidOperationException">One of them is missing.</exception>
    public static void RequirePrograms()
    {
        foreach (var program in new[] { PolicydSpf, "/usr/sbin/unbound", "/usr/bin/unshare" })
        {
            if (!File.Exists(program))
                throw new InvalidOperationException($"{program} is missing (tools/install-deps.sh installs it)");
        }
    }

    /// <summary>Starts unbound with the test zone, waits until it answers, and writes the configuration files.</summary>
    public static async Task<SpfdTestbed> StartAsync(CancellationToken cancellationToken)
    {
        RequirePrograms();
        var folder = Directory.CreateTempSubdirectory("mailseal-spfd-bench-");
        Process? unbound = null;
        try
        {
            unbound = await StartUnboundAsync(folder.FullName, cancellationToken).ConfigureAwait(false);
            var testbed = new SpfdTestbed(folder, unbound);
            await File.WriteAllTextAsync(testbed.ResolvConf, $"nameserver {DnsAddress}\n", cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(testbed.PolicydConf, "debugLevel = 0\nTestOnly = 1\nHELO_reject = Fail\nMail_From_reject = Fail\nPermError_reject = False\nTempError_Defer = False\nskip_addresses = 127.0.0.0/8,::ffff:127.0.0.0/104,::1\n", cancellationToken).ConfigureAwait(false);
            return testbed;
        }
        catch
        {
            await StopAsync(unbound).ConfigureAwait(false);
            folder.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>The command line of policyd-spf with this testbed's configuration.</summary>
    public IReadOnlyList<string> PolicydCommand => [PolicydSpf, PolicydConf];

    /// <summary>Request number <paramref name="i"/>: an RCPT-state request for one of the test domains (pass or fail by client address).</summary>
    public static string Request(int i) =>
        "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n" +
        string.Create(CultureInfo.InvariantCulture, $"client_address=192.0.2.{(i % 200) + 1}\nclient_name=unknown\nhelo_name=mx{i % Domains}.bench.test\n") +
        string.Create(CultureInfo.InvariantCulture, $"sender=user{i}@d{i % Domains}.bench.test\nrecipient=rcpt@example.org\ninstance=bench.{i}\nqueue_id=\n\n");

    /// <summary>
    /// Runs <paramref name="command"/> in a private mount namespace with <see cref="ResolvConf"/>
    /// as /etc/resolv.conf (unshare, a shell that bind-mounts it, then exec), stdin, stdout and
    /// stderr redirected.
    /// </summary>
    public ProcessStartInfo InNamespace(IEnumerable<string> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var info = new ProcessStartInfo("/usr/bin/unshare")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "-m", "--propagation", "private", "/bin/sh", "-c", "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"", ResolvConf })
            info.ArgumentList.Add(a);
        foreach (var a in command)
            info.ArgumentList.Add(a);
        return info;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(_unbound).ConfigureAwait(false);
        Directory.Delete(Folder, recursive: true);
    }

    private static async Task StopAsync(Process? unbound)
    {
        if (unbound is null)
            return;
        if (!unbound.HasExited)
        {
            unbound.Kill();
            await unbound.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        unbound.Dispose();
    }

    private static async Task<Process> StartUnboundAsync(string dir, CancellationToken cancellationToken)
    {
        var zone = new StringBuilder();
        for (var k = 0; k < Domains; k++)
        {
            zone.Append(CultureInfo.InvariantCulture, $"  local-data: 'd{k}.bench.test. 300 IN TXT \"v=spf1 ip4:192.0.2.0/25 ip4:192.0.2.128/25 -all\"'\n");
            zone.Append(CultureInfo.InvariantCulture, $"  local-data: 'mx{k}.bench.test. 300 IN TXT \"v=spf1 a ip4:192.0.2.0/24 -all\"'\n");
            zone.Append(CultureInfo.InvariantCulture, $"  local-data: 'mx{k}.bench.test. 300 IN A 192.0.2.{k + 1}'\n");
        }

        var conf = Path.Combine(dir, "unbound.conf");
        await File.WriteAllTextAsync(conf, $"""
            server:
              interface: {DnsAddress}
              port: 53
              do-daemonize: no
              username: ""
              chroot: ""
              directory: "{dir}"
              pidfile: "{dir}/unbound.pid"
              use-syslog: no
              logfile: "{dir}/unbound.log"
              verbosity: 0
              do-ip6: no
              access-control: 127.0.0.0/8 allow
              local-zone: "." static
              local-zone: "bench.test." static
            {zone}
            remote-control:
              control-enable: no

            """, cancellationToken).ConfigureAwait(false);
        var info = new ProcessStartInfo("/usr/sbin/unbound") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-d");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(conf);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start unbound");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var resolver = new StubResolver(new StubResolverOptions { Servers = [new IPEndPoint(IPAddress.Parse(DnsAddress), 53)], Timeout = TimeSpan.FromMilliseconds(200), Attempts = 1, CacheMaxEntries = 0 });
        var deadline = DateTime.UtcNow.AddSeconds(15);
        try
        {
            while (true)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"unbound exited with {process.ExitCode} (is {DnsAddress}:53 taken?): " + await ReadLogAsync(dir).ConfigureAwait(false));
                var answer = await resolver.QueryAsync("d0.bench.test", DnsRecordType.Txt, cancellationToken).ConfigureAwait(false);
                if (answer.Status == DnsStatus.Ok)
                    return process;
                if (DateTime.UtcNow > deadline)
                    throw new InvalidOperationException("unbound did not answer within 15 s: " + await ReadLogAsync(dir).ConfigureAwait(false));
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await StopAsync(process).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<string> ReadLogAsync(string dir)
    {
        var log = Path.Combine(dir, "unbound.log");
        return File.Exists(log) ? (await File.ReadAllTextAsync(log).ConfigureAwait(false)).ReplaceLineEndings(" ") : "no log";
    }
}
