using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>greyd</c>: requests/s and p50/p99 latency of mailseal-greyd (SQLite store, and PostgreSQL
/// store) against postgrey (Debian package), all three as daemons on 127.0.0.1 TCP, as Postfix
/// talks to them. Two phases per program and number of connections, each on a fresh greylist:
/// <c>new</c> sends distinct triplets (every request inserts one, up to --triplets), then
/// <c>repeat</c> sends the same triplets again (every request finds and updates one). Each
/// connection sends requests in lock-step, as a Postfix smtpd does (<see cref="LockStepLoad"/>). Bounded
/// by a request count and a time limit per run. PostgreSQL is a private cluster this benchmark
/// starts (initdb, as user postgres) and stops, unless --postgres names one.
/// </summary>
public sealed class GreydBenchmark : IBenchmarkCommand
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public string Name => "greyd";

    /// <inheritdoc />
    public string Description => "mailseal-greyd (SQLite, PostgreSQL) vs postgrey: requests/s, p50/p99 for new and repeated triplets (goal >= 10x, p99 < 5 ms)";

    /// <inheritdoc />
    public string Usage =>
        "  --triplets N       distinct triplets per run at most (default 100000)\n" +
        "  --concurrency LIST connections at once, one run per number (default 1,4,16)\n" +
        "  --time-limit S     seconds per measured phase at most (default 5)\n" +
        "  --rounds N         rounds of every program and number of connections, the order turning each round (default 1)\n" +
        "  --no-postgres      skip the PostgreSQL store\n" +
        "  --no-postgrey      skip postgrey";

    /// <inheritdoc />
    public bool IsBenchmark => true;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new OptionReader(args, ["--triplets", "--concurrency", "--time-limit", "--rounds"], ["--no-postgres", "--no-postgrey"]);
        var rounds = (int)options.Number("--rounds", 1, 1, 50);
        var triplets = (int)options.Number("--triplets", 100_000, 10, 10_000_000);
        var levels = options.Counts("--concurrency", [1, 4, 16], 1, 256);
        var limit = TimeSpan.FromSeconds(options.Number("--time-limit", 5, 1, 3600));
        // The published native binary, as an admin runs it (tools/publish.sh).
        var greyd = PublishedTools.Path("mailseal-greyd");
        var withPostgrey = !options.Has("--no-postgrey");
        if (withPostgrey && !File.Exists("/usr/sbin/postgrey"))
            throw new InvalidOperationException("/usr/sbin/postgrey is missing (tools/install-deps.sh installs it)");

        var dir = Directory.CreateTempSubdirectory("mailseal-greyd-bench-");
        // The postgres and postgrey users need to reach their directories inside it.
        File.SetUnixFileMode(dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        PrivatePostgres? postgres = null;
        try
        {
            if (!options.Has("--no-postgres"))
                postgres = await PrivatePostgres.StartAsync(dir.FullName, cancellationToken);
            var none = Path.Combine(dir.FullName, "none");
            await File.WriteAllTextAsync(none, string.Empty, cancellationToken);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"greyd: per program, connections and phase: {WarmUp.TotalSeconds:F0} s warm-up, then up to {triplets} triplets or {limit.TotalSeconds:F0} s; new = distinct triplets, repeat = the same again; TCP on 127.0.0.1; load average {LoadAverage()}"));

            var programs = new List<(string Name, Func<int, Task<Daemon>> Start)>
            {
                ("mailseal-greyd sqlite", n => Daemon.StartGreydAsync(greyd, $"sqlite:{Path.Combine(dir.FullName, $"g{n}.sqlite")}", none, dir.FullName, cancellationToken)),
            };
            if (postgres is not null)
                programs.Add(("mailseal-greyd postgresql", async n => await Daemon.StartGreydAsync(greyd, "postgresql:" + await postgres.NewDatabaseAsync($"bench{n}", cancellationToken), none, dir.FullName, cancellationToken)));
            if (withPostgrey)
                programs.Add(("postgrey", n => Daemon.StartPostgreyAsync(Path.Combine(dir.FullName, $"pg{n}"), none, cancellationToken)));

            var table = new TextTable("round", "program", "connections", "phase", "requests", "seconds", "requests/s", "p50 ms", "p99 ms", "CPU us/req", "client CPU us/req", "answers");
            var cells = new Dictionary<(string Program, int Connections, string Phase), List<Cell>>();
            var run = 0;
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var concurrency in levels)
                {
                    // Programs alternate within each number of connections and the order turns by
                    // one each round, so a burst of load from elsewhere on a shared machine falls
                    // on every program alike.
                    for (var k = 0; k < programs.Count; k++)
                    {
                        var (name, start) = programs[(round - 1 + k) % programs.Count];
                        await using var daemon = await start(run++);
                        var sent = 0;
                        foreach (var phase in new[] { "new", "repeat" })
                        {
                            var result = await LoadAsync(daemon.Port, concurrency, phase == "new" ? triplets : sent, limit, warm: phase == "new", daemon.CpuTime, cancellationToken);
                            var cpuPerRequest = result.Cpu.TotalMicroseconds / Math.Max(result.Count, 1);
                            var clientPerRequest = result.ClientCpu.TotalMicroseconds / Math.Max(result.Count, 1);
                            if (phase == "new")
                                sent = result.Count;
                            table.Add(Text(round), name, Text(concurrency), phase, Text(result.Count), result.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
                                result.PerSecond.ToString("F0", CultureInfo.InvariantCulture), result.Percentile(0.50).ToString("F2", CultureInfo.InvariantCulture),
                                result.Percentile(0.99).ToString("F2", CultureInfo.InvariantCulture), cpuPerRequest.ToString("F1", CultureInfo.InvariantCulture),
                                clientPerRequest.ToString("F1", CultureInfo.InvariantCulture), result.Answers);
                            if (!cells.TryGetValue((name, concurrency, phase), out var list))
                                cells[(name, concurrency, phase)] = list = [];
                            list.Add(new Cell(round, result.PerSecond, result.Percentile(0.99), cpuPerRequest, clientPerRequest));
                        }
                    }
                }
            }

            table.WriteTo(output);
            output.WriteLine($"load average after the runs: {LoadAverage()}");
            var medians = new TextTable("program", "connections", "phase", "median requests/s", "median p99 ms", "median CPU us/req", "median client CPU us/req");
            foreach (var ((program, connections, phase), list) in cells.OrderBy(c => c.Key.Phase, StringComparer.Ordinal).ThenBy(c => c.Key.Program, StringComparer.Ordinal).ThenBy(c => c.Key.Connections))
                medians.Add(program, Text(connections), phase, Median(list, c => c.PerSecond).ToString("F0", CultureInfo.InvariantCulture), Median(list, c => c.P99).ToString("F2", CultureInfo.InvariantCulture), Median(list, c => c.CpuPerRequest).ToString("F1", CultureInfo.InvariantCulture), Median(list, c => c.ClientCpuPerRequest).ToString("F1", CultureInfo.InvariantCulture));
            output.WriteLine($"medians over {rounds} round(s):");
            medians.WriteTo(output);
            foreach (var phase in new[] { "new", "repeat" })
            {
                foreach (var ours in new[] { "mailseal-greyd sqlite", "mailseal-greyd postgresql" })
                {
                    if (withPostgrey && Ratios(cells, ours, phase, rounds) is { } line)
                        output.WriteLine(line);
                }
            }

            return 0;
        }
        finally
        {
            if (postgres is not null)
                await postgres.DisposeAsync();
            dir.Delete(recursive: true);
        }
    }

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static double Median<T>(IEnumerable<T> items, Func<T, double> value) => Statistics.Median(items.Select(value));

    /// <summary>
    /// The ratio lines for one of our stores against postgrey: best of the medians (throughput,
    /// and throughput with p99 under 5 ms, the goal) and the paired ratio (in each round, our
    /// best cell over postgrey's best cell of the same round; the median over rounds). CPU per
    /// request is compared at the same number of connections.
    /// </summary>
    private static string? Ratios(Dictionary<(string Program, int Connections, string Phase), List<Cell>> cells, string ours, string phase, int rounds)
    {
        var mine = cells.Where(c => c.Key.Program == ours && c.Key.Phase == phase).ToList();
        var theirs = cells.Where(c => c.Key.Program == "postgrey" && c.Key.Phase == phase).ToList();
        if (mine.Count == 0 || theirs.Count == 0)
            return null;
        var theirBest = theirs.MaxBy(c => Median(c.Value, v => v.PerSecond));
        var theirRate = Median(theirBest.Value, v => v.PerSecond);
        var myBest = mine.MaxBy(c => Median(c.Value, v => v.PerSecond));
        var fast = mine.Where(c => Median(c.Value, v => v.P99) < 5).OrderByDescending(c => Median(c.Value, v => v.PerSecond)).FirstOrDefault();
        var fastRate = fast.Value is null ? 0 : Median(fast.Value, v => v.PerSecond);
        var paired = Median(Enumerable.Range(1, rounds).Select(r =>
            mine.Max(c => c.Value.Where(v => v.Round == r).Select(v => v.PerSecond).DefaultIfEmpty(0).Max()) /
            Math.Max(theirs.Max(c => c.Value.Where(v => v.Round == r).Select(v => v.PerSecond).DefaultIfEmpty(0).Max()), 1e-9)), v => v);
        // The goal's own pairing: in each round, our best cell with p99 under 5 ms over
        // postgrey's best cell of that round (any p99), then the median over rounds.
        var pairedFast = Median(Enumerable.Range(1, rounds).Select(r =>
            mine.Max(c => c.Value.Where(v => v.Round == r && v.P99 < 5).Select(v => v.PerSecond).DefaultIfEmpty(0).Max()) /
            Math.Max(theirs.Max(c => c.Value.Where(v => v.Round == r).Select(v => v.PerSecond).DefaultIfEmpty(0).Max()), 1e-9)), v => v);
        var cpu = string.Join(", ", mine.OrderBy(c => c.Key.Connections).Select(c =>
        {
            var other = theirs.FirstOrDefault(t => t.Key.Connections == c.Key.Connections);
            return other.Value is null ? null : string.Create(CultureInfo.InvariantCulture, $"{Median(other.Value, v => v.CpuPerRequest) / Math.Max(Median(c.Value, v => v.CpuPerRequest), 1e-9):F1}x at {c.Key.Connections}");
        }).Where(t => t is not null));
        var sqlite = ours.EndsWith("sqlite", StringComparison.Ordinal);
        return string.Create(CultureInfo.InvariantCulture,
            $"{phase}: {ours} best {Median(myBest.Value, v => v.PerSecond):F0} req/s at {myBest.Key.Connections} connections (p99 {Median(myBest.Value, v => v.P99):F2} ms) / postgrey best {theirRate:F0} at {theirBest.Key.Connections} (p99 {Median(theirBest.Value, v => v.P99):F2} ms) = {Median(myBest.Value, v => v.PerSecond) / theirRate:F1}x (paired over rounds {paired:F1}x); postgrey's CPU per request / ours: {cpu}")
            + (sqlite
                ? string.Create(CultureInfo.InvariantCulture, $"\n{phase}: {ours} best with p99 < 5 ms: {fastRate:F0} req/s at {fast.Key.Connections} connections = {fastRate / theirRate:F1}x postgrey's best, paired over rounds {pairedFast:F1}x (goal >= 10x with p99 < 5 ms, paired: {(pairedFast >= 10 ? "met" : "NOT met")})")
                : string.Empty);
    }

    private sealed record Cell(int Round, double PerSecond, double P99, double CpuPerRequest, double ClientCpuPerRequest);

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string Request(int i) =>
        string.Create(CultureInfo.InvariantCulture,
            $"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}\nclient_name=unknown\nhelo_name=mx.bench.test\nsender=user{i}x@d{i % 97}.bench.test\nrecipient=rcpt{i % 13}@example.org\ninstance=bench.{i}\nqueue_id=\netrn_domain=\n\n");

    /// <summary>
    /// Sends requests 0..count-1 (the same ones again for repeats) over <paramref name="concurrency"/>
    /// lock-step connections (<see cref="LockStepLoad"/>). The warm-up (not counted) uses triplets beyond
    /// the measured ones.
    /// </summary>
    private static async Task<LockStepResult> LoadAsync(int port, int concurrency, int count, TimeSpan limit, bool warm, Func<TimeSpan> cpuTime, CancellationToken cancellationToken)
    {
        var connections = new List<PolicyConnection>();
        for (var c = 0; c < concurrency; c++)
            connections.Add(PolicyConnection.Open(new IPEndPoint(IPAddress.Loopback, port)));
        try
        {
            if (warm)
            {
                var w = 0;
                var until = Stopwatch.GetTimestamp() + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < until && !cancellationToken.IsCancellationRequested)
                {
                    foreach (var c in connections)
                        c.Ask(Request(20_000_000 + w++));
                }
            }

            return await LockStepLoad.RunAsync(connections, count, limit, Request, cpuTime, cancellationToken);
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }

    /// <summary>A policy daemon started for one run, stopped (SIGTERM, then SIGKILL) by its own process handle.</summary>
    private sealed class Daemon(Process process, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;

        /// <summary>CPU time (user + system) the daemon process has used so far.</summary>
        public TimeSpan CpuTime()
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }

        public static Task<Daemon> StartGreydAsync(string greyd, string store, string none, string dir, CancellationToken cancellationToken)
        {
            return StartAsync(port => [greyd, $"--inet={port}", "--store", store, "--whitelist-clients=" + none, "--whitelist-recipients=" + none, "--verbosity=0", "--syslog-socket", Path.Combine(dir, "no-syslog")], cancellationToken);
        }

        public static Task<Daemon> StartPostgreyAsync(string dbdir, string none, CancellationToken cancellationToken)
        {
            Directory.CreateDirectory(dbdir);
            Process.Start("chown", ["postgrey", dbdir])!.WaitForExit();
            // -q: postgrey logs each decision otherwise, which would cost it time ours does not spend.
            return StartAsync(port => ["/usr/sbin/postgrey", $"--inet=127.0.0.1:{port}", $"--dbdir={dbdir}", "-q", "--whitelist-clients=" + none, "--whitelist-recipients=" + none], cancellationToken);
        }

        private static async Task<Daemon> StartAsync(Func<int, string[]> command, CancellationToken cancellationToken)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var argv = command(port);
            var info = new ProcessStartInfo(argv[0]) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in argv.Skip(1))
                info.ArgumentList.Add(a);
            var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {argv[0]}");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    PolicyConnection.Open(new IPEndPoint(IPAddress.Loopback, port)).Dispose();
                    return new Daemon(process, port);
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(100, cancellationToken);
                }
                catch (SocketException)
                {
                    process.Kill();
                    throw new InvalidOperationException($"{argv[0]} did not listen on {port}");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process.Dispose();
        }
    }

    /// <summary>A private PostgreSQL 15 cluster on a unix socket in the benchmark's directory, run as user postgres.</summary>
    private sealed class PrivatePostgres : IAsyncDisposable
    {
        private const string Bin = "/usr/lib/postgresql/15/bin";
        private readonly string _data;
        private readonly string _socket;
        private readonly int _port;

        private PrivatePostgres(string data, string socket, int port)
        {
            _data = data;
            _socket = socket;
            _port = port;
        }

        public static async Task<PrivatePostgres> StartAsync(string dir, CancellationToken cancellationToken)
        {
            var root = Path.Combine(dir, "pg");
            var data = Path.Combine(root, "data");
            Directory.CreateDirectory(root);
            await RunAsync("chown", ["postgres", root], cancellationToken);
            await RunAsync("runuser", ["-u", "postgres", "--", Bin + "/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"], cancellationToken);
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            await RunAsync("runuser", ["-u", "postgres", "--", Bin + "/pg_ctl", "-D", data, "-l", Path.Combine(root, "log"), "-w", "-o", $"-k {root} -p {port} -c listen_addresses='' -c max_connections=200", "start"], cancellationToken);
            return new PrivatePostgres(data, root, port);
        }

        public async Task<string> NewDatabaseAsync(string name, CancellationToken cancellationToken)
        {
            await RunAsync("runuser", ["-u", "postgres", "--", Bin + "/../bin/createdb", "-h", _socket, "-p", _port.ToString(CultureInfo.InvariantCulture), name], cancellationToken);
            return $"Host={_socket};Port={_port};Username=postgres;Database={name};Maximum Pool Size=64";
        }

        public async ValueTask DisposeAsync() =>
            await RunAsync("runuser", ["-u", "postgres", "--", Bin + "/pg_ctl", "-D", _data, "-m", "fast", "-w", "stop"], CancellationToken.None);

        private static async Task RunAsync(string program, string[] args, CancellationToken cancellationToken)
        {
            var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args)
                info.ArgumentList.Add(a);
            using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        }
    }
}
