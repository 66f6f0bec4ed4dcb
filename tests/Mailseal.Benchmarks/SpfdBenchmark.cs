using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>spfd</c>: requests/s and p50/p99 latency of mailseal-spfd (daemon) against
/// /usr/bin/policyd-spf (postfix-policyd-spf-python), both asking the same unbound in the same
/// private mount namespace (<see cref="SpfdTestbed"/>). Both get the same policyd-spf.conf and
/// the same requests over the same number of concurrent connections (policyd-spf: one process per connection, as spawn(8) runs it).
/// Bounded by a request count and a time limit per program.
/// </summary>
public sealed class SpfdBenchmark : IBenchmarkCommand
{
    /// <summary>How long each program is warmed up before the measured run.</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    public string Name => "spfd";

    /// <inheritdoc />
    public string Description => "mailseal-spfd vs policyd-spf: requests/s, p50/p99 latency against the same unbound (goal >= 10x)";

    /// <inheritdoc />
    public string Usage =>
        "  --requests N       requests per measured run at most (default 1000000)\n" +
        "  --concurrency LIST connections at once, one run per number (default 1,4,16)\n" +
        "  --time-limit S     seconds per measured run at most, after the warm-up (default 4)\n" +
        "  --rounds N         rounds; each runs both programs at every number of connections,\n" +
        "                     the program that starts turning each round (default 3)\n" +
        "  --tcp              mailseal-spfd on inet:127.0.0.1 instead of a unix socket";

    /// <inheritdoc />
    public bool IsBenchmark => true;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new OptionReader(args, ["--requests", "--concurrency", "--time-limit", "--rounds"], ["--tcp"]);
        var requests = (int)options.Number("--requests", 1_000_000, 10, 10_000_000);
        var levels = options.Counts("--concurrency", [1, 4, 16], 1, 256);
        var timeLimit = TimeSpan.FromSeconds(options.Number("--time-limit", 4, 1, 3600));
        var rounds = (int)options.Number("--rounds", 3, 1, 100);
        var unix = !options.Has("--tcp");
        SpfdTestbed.RequirePrograms();

        // The published native binary, as an admin runs it (tools/publish.sh).
        var spfd = PublishedTools.Path("mailseal-spfd");

        var testbed = await SpfdTestbed.StartAsync(cancellationToken);
        await using (testbed.ConfigureAwait(false))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"spfd: {rounds} round(s); per round, program and number of connections, {WarmUp.TotalSeconds:F0} s warm-up, then up to {requests} requests or {timeLimit.TotalSeconds:F0} s; unbound on {SpfdTestbed.DnsAddress}:53, {SpfdTestbed.Domains} test domains; mailseal-spfd on a {(unix ? "unix" : "TCP")} socket; load average {LoadAverage.Read()} before"));
            var table = new TextTable("round", "program", "connections", "requests", "seconds", "requests/s", "p50 ms", "p99 ms", "CPU us/req", "client CPU us/req", "answers");
            const string Ours = "mailseal-spfd (daemon)", Theirs = "policyd-spf (spawn)";
            // Every run per program and number of connections, one per round.
            var runs = new Dictionary<(string Program, int Connections), List<LockStepResult>>();
            var pairedRatios = new List<double>();
            LockStepResult? ours = null;
            LockStepResult? theirs = null;
            for (var round = 1; round <= rounds; round++)
            {
                double roundOurs = 0, roundTheirs = 0;
                foreach (var concurrency in levels)
                {
                    // The program that runs first turns each round, so a burst of load on the
                    // shared machine falls on both alike over the rounds.
                    for (var k = 0; k < 2; k++)
                    {
                        var oursNow = (round + k) % 2 == 0;
                        var r = oursNow
                            ? ours = await RunSpfdAsync(spfd, testbed, unix, requests, concurrency, timeLimit, cancellationToken)
                            : theirs = await RunPolicydAsync(testbed, requests, concurrency, timeLimit, cancellationToken);
                        var name = oursNow ? Ours : Theirs;
                        table.Add([round.ToString(CultureInfo.InvariantCulture), .. Row(name, concurrency, r)]);
                        (CollectionsMarshal.GetValueRefOrAddDefault(runs, (name, concurrency), out _) ??= []).Add(r);
                        if (oursNow)
                            roundOurs = Math.Max(roundOurs, r.PerSecond);
                        else
                            roundTheirs = Math.Max(roundTheirs, r.PerSecond);
                    }
                }

                pairedRatios.Add(roundOurs / Math.Max(roundTheirs, 1e-9));
            }

            table.WriteTo(output);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average {LoadAverage.Read()} after"));
            // Throughput is what a program sustains at its best number of connections (median
            // over rounds): policyd-spf is CPU-bound from two connections on (one Python process
            // each), mailseal-spfd gains from more connections at once.
            var (bestOurs, bestOursAt) = Best(runs, Ours, levels);
            var (bestTheirs, bestTheirsAt) = Best(runs, Theirs, levels);
            var ratio = bestOurs / Math.Max(bestTheirs, 1e-9);
            var paired = Statistics.Median(pairedRatios);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"throughput (best of the medians over rounds, requests/s): mailseal-spfd {bestOurs:F0} at {bestOursAt} connections, policyd-spf {bestTheirs:F0} at {bestTheirsAt}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"throughput ratio mailseal-spfd / policyd-spf: {ratio:F1}x; paired (each round's best over the other's, median over rounds): {paired:F1}x, rounds {string.Join(", ", pairedRatios.Select(x => x.ToString("F1", CultureInfo.InvariantCulture)))} (goal >= 10x paired: {(paired >= 10 ? "met" : "NOT met")})"));
            // CPU per request moves least with the shared machine's load.
            double Cpu(string program, int c) => Statistics.Median(runs[(program, c)].Select(r => CpuPerRequest(r.Cpu, r)));
            output.WriteLine("CPU per request (median over rounds, us; the program's own processes, user + system): " + string.Join("; ", levels.Select(c => string.Create(CultureInfo.InvariantCulture,
                $"{c} connections: mailseal-spfd {Cpu(Ours, c):F1}, policyd-spf {Cpu(Theirs, c):F1} ({Cpu(Theirs, c) / Math.Max(Cpu(Ours, c), 1e-9):F1}x)"))));
            // Postfix reads actions case-insensitively: PREPEND and prepend are the same answer.
            if (ours is not null && theirs is not null && !string.Equals(ours.Sample.Trim(), theirs.Sample.Trim(), StringComparison.OrdinalIgnoreCase))
                output.WriteLine($"note: the programs answered the first request differently:\n  mailseal-spfd: {ours.Sample}\n  policyd-spf:   {theirs.Sample}");
            return 0;
        }
    }

    private static (double PerSecond, int Connections) Best(Dictionary<(string Program, int Connections), List<LockStepResult>> runs, string program, IReadOnlyList<int> levels) =>
        levels.Select(c => (Statistics.Median(runs[(program, c)].Select(r => r.PerSecond)), c)).MaxBy(x => x.Item1);

    private static string[] Row(string name, int connections, LockStepResult r) =>
    [
        name,
        connections.ToString(CultureInfo.InvariantCulture),
        r.Count.ToString(CultureInfo.InvariantCulture),
        r.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
        r.PerSecond.ToString("F0", CultureInfo.InvariantCulture),
        r.Percentile(0.50).ToString("F2", CultureInfo.InvariantCulture),
        r.Percentile(0.99).ToString("F2", CultureInfo.InvariantCulture),
        CpuPerRequest(r.Cpu, r).ToString("F1", CultureInfo.InvariantCulture),
        CpuPerRequest(r.ClientCpu, r).ToString("F1", CultureInfo.InvariantCulture),
        r.Answers,
    ];

    private static double CpuPerRequest(TimeSpan cpu, LockStepResult r) => cpu.TotalMicroseconds / Math.Max(r.Count, 1);

    private static async Task<LockStepResult> RunSpfdAsync(string spfd, SpfdTestbed testbed, bool unix, int requests, int concurrency, TimeSpan limit, CancellationToken cancellationToken)
    {
        EndPoint endPoint;
        string listen;
        if (unix)
        {
            var path = Path.Combine(testbed.Folder, "spfd.sock");
            endPoint = new UnixDomainSocketEndPoint(path);
            listen = "unix:" + path;
        }
        else
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            endPoint = new IPEndPoint(IPAddress.Loopback, port);
            listen = string.Create(CultureInfo.InvariantCulture, $"inet:127.0.0.1:{port}");
        }

        var info = testbed.InNamespace([spfd, "--config", testbed.PolicydConf, "--listen", listen, "--syslog-socket", Path.Combine(testbed.Folder, "no-syslog"), "--max-connections", "1024"]);
        info.RedirectStandardError = false;
        info.RedirectStandardOutput = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start mailseal-spfd");
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    PolicyConnection.Open(endPoint).Dispose();
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(100, cancellationToken);
                }
                catch (SocketException)
                {
                    throw new InvalidOperationException($"mailseal-spfd did not listen on {listen} within 30 s");
                }
            }

            return await LoadAsync(requests, concurrency, limit, () => Task.FromResult(PolicyConnection.Open(endPoint)), () =>
            {
                process.Refresh();
                return process.TotalProcessorTime;
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

    private static async Task<LockStepResult> RunPolicydAsync(SpfdTestbed testbed, int requests, int concurrency, TimeSpan limit, CancellationToken cancellationToken)
    {
        var processes = new List<Process>();
        try
        {
            return await LoadAsync(requests, concurrency, limit, () =>
            {
                var process = Process.Start(testbed.InNamespace(testbed.PolicydCommand)) ?? throw new InvalidOperationException("could not start policyd-spf");
                lock (processes)
                    processes.Add(process);
                process.ErrorDataReceived += (_, _) => { };
                process.BeginErrorReadLine();
                return Task.FromResult(new PolicyConnection(process.StandardOutput.BaseStream, process.StandardInput.BaseStream, null));
            }, () =>
            {
                // One process per connection, all alive until the load ends: their CPU summed.
                lock (processes)
                {
                    return processes.Aggregate(TimeSpan.Zero, (sum, p) =>
                    {
                        p.Refresh();
                        return sum + p.TotalProcessorTime;
                    });
                }
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
    /// request, wait for its reply), as a Postfix smtpd does, all driven by one thread through
    /// epoll (<see cref="LockStepLoad"/>): the load generator then costs little beside the
    /// program measured, whichever it is. A warm-up of a few seconds is not counted. At the time
    /// limit no new request is sent; a connection still without its reply 10 s later fails the run.
    /// </summary>
    private static async Task<LockStepResult> LoadAsync(int requests, int concurrency, TimeSpan limit, Func<Task<PolicyConnection>> connect, Func<TimeSpan> cpuTime, CancellationToken cancellationToken)
    {
        var connections = new List<PolicyConnection>();
        for (var c = 0; c < concurrency; c++)
            connections.Add(await connect());
        try
        {
            // Warm-up, not counted: a daemon runs for days, so its steady state is what counts
            // (.NET compiles hot code again, optimised, after its first few thousand calls).
            var warmup = 0;
            var warmUntil = Stopwatch.GetTimestamp() + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < warmUntil && !cancellationToken.IsCancellationRequested)
            {
                foreach (var c in connections)
                    c.Ask(SpfdTestbed.Request(1_000_000 + warmup++));
            }

            return await LockStepLoad.RunAsync(connections, requests, limit, SpfdTestbed.Request, cpuTime, cancellationToken);
        }
        finally
        {
            foreach (var c in connections)
                c.Dispose();
        }
    }
}
