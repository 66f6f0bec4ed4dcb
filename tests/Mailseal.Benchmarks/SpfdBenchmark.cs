using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Dns;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>spfd</c>: requests/s and p50/p99 latency of mailseal-spfd (daemon) against
/// /usr/bin/policyd-spf (postfix-policyd-spf-python), both asking the same unbound, which this
/// benchmark starts on 127.53.0.1:53 with a test zone. policyd-spf reads only /etc/resolv.conf,
/// so both programs run in a private mount namespace (<c>unshare -m</c>) where a resolv.conf
/// naming that unbound is bind-mounted over /etc/resolv.conf; the machine's own file is not
/// touched. Both get the same policyd-spf.conf and the same requests over the same number of
/// concurrent connections (policyd-spf: one process per connection, as spawn(8) runs it).
/// Bounded by a request count and a time limit per program.
/// </summary>
public sealed class SpfdBenchmark : IBenchmarkCommand
{
    private const string DnsAddress = "127.53.0.1";
    private const int Domains = 50;

    /// <inheritdoc />
    public string Name => "spfd";

    /// <inheritdoc />
    public string Description => "mailseal-spfd vs policyd-spf: requests/s, p50/p99 latency against the same unbound (goal >= 10x)";

    /// <inheritdoc />
    public string Usage =>
        "  --requests N       requests per program (default 2000)\n" +
        "  --concurrency N    connections at once (default 4)\n" +
        "  --time-limit S     seconds per program at most (default 60)";

    /// <inheritdoc />
    public bool IsBenchmark => true;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new OptionReader(args, ["--requests", "--concurrency", "--time-limit"], []);
        var requests = (int)options.Number("--requests", 2000, 10, 1_000_000);
        var concurrency = (int)options.Number("--concurrency", 4, 1, 256);
        var timeLimit = TimeSpan.FromSeconds(options.Number("--time-limit", 60, 1, 3600));
        foreach (var program in new[] { "/usr/bin/policyd-spf", "/usr/sbin/unbound", "/usr/bin/unshare" })
        {
            if (!File.Exists(program))
                throw new InvalidOperationException($"{program} is missing (tools/install-deps.sh installs it)");
        }

        var spfd = Path.Combine(AppContext.BaseDirectory, "mailseal-spfd.dll");
        if (!File.Exists(spfd))
            throw new InvalidOperationException($"{spfd} is missing: build tests/Mailseal.Benchmarks");

        var dir = Directory.CreateTempSubdirectory("mailseal-spfd-bench-");
        Process? unbound = null;
        try
        {
            unbound = await StartUnboundAsync(dir.FullName, cancellationToken);
            var resolv = Path.Combine(dir.FullName, "resolv.conf");
            await File.WriteAllTextAsync(resolv, $"nameserver {DnsAddress}\n", cancellationToken);
            var conf = Path.Combine(dir.FullName, "policyd-spf.conf");
            await File.WriteAllTextAsync(conf, "debugLevel = 0\nTestOnly = 1\nHELO_reject = Fail\nMail_From_reject = Fail\nPermError_reject = False\nTempError_Defer = False\nskip_addresses = 127.0.0.0/8,::ffff:127.0.0.0/104,::1\n", cancellationToken);

            output.WriteLine($"spfd: {requests} requests per program, {concurrency} connections, unbound on {DnsAddress}:53, {Domains} test domains");
            var table = new TextTable("program", "requests", "seconds", "requests/s", "p50 ms", "p99 ms", "answers");
            var ours = await RunSpfdAsync(spfd, resolv, conf, dir.FullName, requests, concurrency, timeLimit, cancellationToken);
            table.Add(Row("mailseal-spfd (daemon)", ours));
            var theirs = await RunPolicydAsync(resolv, conf, requests, concurrency, timeLimit, cancellationToken);
            table.Add(Row("policyd-spf (spawn)", theirs));
            table.WriteTo(output);
            var ratio = ours.PerSecond / Math.Max(theirs.PerSecond, 1e-9);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"throughput ratio mailseal-spfd / policyd-spf: {ratio:F1}x (goal >= 10x: {(ratio >= 10 ? "met" : "NOT met")})"));
            if (ours.Sample != theirs.Sample)
                output.WriteLine($"note: the programs answered the first request differently:\n  mailseal-spfd: {ours.Sample}\n  policyd-spf:   {theirs.Sample}");
            return 0;
        }
        finally
        {
            if (unbound is { HasExited: false })
            {
                unbound.Kill();
                await unbound.WaitForExitAsync(CancellationToken.None);
            }

            unbound?.Dispose();
            dir.Delete(recursive: true);
        }
    }

    private static string[] Row(string name, Result r) =>
    [
        name,
        r.Count.ToString(CultureInfo.InvariantCulture),
        r.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
        r.PerSecond.ToString("F0", CultureInfo.InvariantCulture),
        r.Percentile(0.50).ToString("F2", CultureInfo.InvariantCulture),
        r.Percentile(0.99).ToString("F2", CultureInfo.InvariantCulture),
        r.Distinct,
    ];

    private static string Request(int i) =>
        "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n" +
        string.Create(CultureInfo.InvariantCulture, $"client_address=192.0.2.{(i % 200) + 1}\nclient_name=unknown\nhelo_name=mx{i % Domains}.bench.test\n") +
        string.Create(CultureInfo.InvariantCulture, $"sender=user{i}@d{i % Domains}.bench.test\nrecipient=rcpt@example.org\ninstance=bench.{i}\nqueue_id=\n\n");

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

            """, cancellationToken);
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
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"unbound exited with {process.ExitCode} (is {DnsAddress}:53 taken?): " + await ReadLogAsync(dir));
            var answer = await resolver.QueryAsync("d0.bench.test", DnsRecordType.Txt, cancellationToken);
            if (answer.Status == DnsStatus.Ok)
                return process;
            if (DateTime.UtcNow > deadline)
            {
                process.Kill();
                throw new InvalidOperationException("unbound did not answer within 15 s: " + await ReadLogAsync(dir));
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<string> ReadLogAsync(string dir)
    {
        var log = Path.Combine(dir, "unbound.log");
        return File.Exists(log) ? (await File.ReadAllTextAsync(log)).ReplaceLineEndings(" ") : "no log";
    }

    /// <summary>Runs a program in a private mount namespace with <paramref name="resolv"/> as /etc/resolv.conf.</summary>
    private static ProcessStartInfo InNamespace(string resolv, IEnumerable<string> command)
    {
        var info = new ProcessStartInfo("/usr/bin/unshare")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "-m", "--propagation", "private", "/bin/sh", "-c", "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"", resolv })
            info.ArgumentList.Add(a);
        foreach (var a in command)
            info.ArgumentList.Add(a);
        return info;
    }

    private static async Task<Result> RunSpfdAsync(string dll, string resolv, string conf, string dir, int requests, int concurrency, TimeSpan limit, CancellationToken cancellationToken)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "/usr/share/dotnet/dotnet";
        int freePort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            freePort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var endPoint = new IPEndPoint(IPAddress.Loopback, freePort);
        var info = InNamespace(resolv, [dotnet, dll, "--config", conf, "--listen", $"inet:127.0.0.1:{freePort}", "--syslog-socket", Path.Combine(dir, "no-syslog"), "--max-connections", "1024"]);
        info.RedirectStandardError = false;
        info.RedirectStandardOutput = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start mailseal-spfd");
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                using var client = new TcpClient();
                try
                {
                    await client.ConnectAsync(endPoint, cancellationToken);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(100, cancellationToken);
                }
                catch (SocketException)
                {
                    throw new InvalidOperationException($"mailseal-spfd did not listen on {endPoint} within 30 s");
                }
            }

            return await LoadAsync(requests, concurrency, limit, async () =>
            {
                var client = new TcpClient();
                await client.ConnectAsync(endPoint, cancellationToken);
                var stream = client.GetStream();
                return new Connection(stream, stream, client);
            }, cancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<Result> RunPolicydAsync(string resolv, string conf, int requests, int concurrency, TimeSpan limit, CancellationToken cancellationToken)
    {
        var processes = new List<Process>();
        try
        {
            return await LoadAsync(requests, concurrency, limit, () =>
            {
                var process = Process.Start(InNamespace(resolv, ["/usr/bin/policyd-spf", conf])) ?? throw new InvalidOperationException("could not start policyd-spf");
                lock (processes)
                    processes.Add(process);
                process.ErrorDataReceived += (_, _) => { };
                process.BeginErrorReadLine();
                return Task.FromResult(new Connection(process.StandardOutput.BaseStream, process.StandardInput.BaseStream, null));
            }, cancellationToken);
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync(CancellationToken.None);
                }

                p.Dispose();
            }
        }
    }

    /// <summary>
    /// Opens <paramref name="concurrency"/> connections; each sends requests in lock-step (one
    /// request, wait for its reply), as a Postfix smtpd does. A short warm-up on each connection
    /// is not counted.
    /// </summary>
    private static async Task<Result> LoadAsync(int requests, int concurrency, TimeSpan limit, Func<Task<Connection>> connect, CancellationToken cancellationToken)
    {
        var connections = new List<Connection>();
        for (var c = 0; c < concurrency; c++)
            connections.Add(await connect());
        try
        {
            var warmup = 0;
            foreach (var c in connections)
            {
                for (var w = 0; w < 5; w++)
                    await c.AskAsync(Request(1_000_000 + warmup++), cancellationToken);
            }

            var next = -1;
            var latencies = new List<double>[concurrency];
            var answers = new ConcurrentSet();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(limit);
            var watch = Stopwatch.StartNew();
            string? sample = null;
            var workers = Enumerable.Range(0, concurrency).Select(async w =>
            {
                latencies[w] = [];
                while (!stop.IsCancellationRequested)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= requests)
                        break;
                    var started = Stopwatch.GetTimestamp();
                    var reply = await connections[w].AskAsync(Request(i), stop.Token);
                    latencies[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    answers.Add(reply.Split(' ')[0]);
                    if (i == 0)
                        sample = reply;
                }
            }).ToList();
            try
            {
                await Task.WhenAll(workers);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // time limit: count what finished
            }

            watch.Stop();
            var all = latencies.Where(l => l is not null).SelectMany(l => l).OrderBy(x => x).ToArray();
            return new Result(all, watch.Elapsed, answers.ToString(), sample ?? string.Empty);
        }
        finally
        {
            foreach (var c in connections)
                c.Dispose();
        }
    }

    private sealed class Connection(Stream input, Stream output, IDisposable? owner) : IDisposable
    {
        private readonly byte[] _buffer = new byte[8192];
        private int _filled;

        public async Task<string> AskAsync(string request, CancellationToken cancellationToken)
        {
            await output.WriteAsync(Encoding.UTF8.GetBytes(request), cancellationToken);
            await output.FlushAsync(cancellationToken);
            while (true)
            {
                var end = _buffer.AsSpan(0, _filled).IndexOf("\n\n"u8);
                if (end >= 0)
                {
                    var reply = Encoding.UTF8.GetString(_buffer, 0, end);
                    Buffer.BlockCopy(_buffer, end + 2, _buffer, 0, _filled - end - 2);
                    _filled -= end + 2;
                    return reply.StartsWith("action=", StringComparison.Ordinal) ? reply[7..] : reply;
                }

                if (_filled == _buffer.Length)
                    throw new InvalidOperationException("reply longer than 8 KiB");
                var n = await input.ReadAsync(_buffer.AsMemory(_filled), cancellationToken);
                if (n == 0)
                    throw new InvalidOperationException("the policy server closed the connection");
                _filled += n;
            }
        }

        public void Dispose()
        {
            try
            {
                output.Dispose();
            }
            catch (IOException)
            {
            }

            owner?.Dispose();
        }
    }

    private sealed class ConcurrentSet
    {
        private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

        public void Add(string value)
        {
            lock (_counts)
                _counts[value] = _counts.GetValueOrDefault(value) + 1;
        }

        public override string ToString()
        {
            lock (_counts)
                return string.Join(" ", _counts.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}:{kv.Value}"));
        }
    }

    private sealed record Result(double[] Latencies, TimeSpan Elapsed, string Distinct, string Sample)
    {
        public int Count => Latencies.Length;

        public double PerSecond => Count / Math.Max(Elapsed.TotalSeconds, 1e-9);

        public double Percentile(double p) => Latencies.Length == 0 ? double.NaN : Latencies[Math.Min(Latencies.Length - 1, (int)Math.Ceiling(p * Latencies.Length) - 1)];
    }
}
