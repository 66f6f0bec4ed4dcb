using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>spfd-spawn</c>: a policy server started per connection, as Postfix's spawn(8) runs it
/// (stdin and stdout are the connection). Each run connects, writes one policy request and stops
/// the clock at the blank line that ends the first answer: what an smtpd waits for on a new
/// connection. Paired rounds (<see cref="PairedRounds"/>) against the same unbound
/// (<see cref="SpfdTestbed"/>). The goal's figure is mailseal-spfd through a real Postfix's
/// spawn(8) (<see cref="PostfixSpawn"/>: connect to private/NAME, spawn(8) forks and execs the
/// command), beside policyd-spf, <c>cat</c> (echoing a reply: what spawn(8) and a C process cost
/// alone) and a NativeAOT "hello, world" (<see cref="NativeHelloWorld"/>, timed to the end of its
/// output: what a native .NET process costs before it does any work) through the same master.
/// Three more rows start their program from this benchmark (.NET's Process.Start, pipes as stdin
/// and stdout): mailseal-spfd, <c>cat</c> and the hello world. The run also measures what a page
/// fault costs here (<see cref="PageFaults"/>): much of a start where faults are dear.
/// </summary>
public sealed class SpfdSpawnBenchmark : IBenchmarkCommand
{
    /// <summary>The goal: mailseal-spfd's first answer on a new spawn within this many milliseconds.</summary>
    private const double GoalMilliseconds = 10;

    private const string Spawned = "mailseal-spfd through spawn(8)";
    private const string Policyd = "policyd-spf through spawn(8)";
    private const string CatSpawned = "cat through spawn(8) (spawn(8) and a C process)";
    private const string HelloSpawned = "NativeAOT hello world through spawn(8)";
    private const string Direct = "mailseal-spfd started by the benchmark";
    private const string CatDirect = "cat started by the benchmark";
    private const string HelloDirect = "NativeAOT hello world started by the benchmark";

    /// <inheritdoc />
    public string Name => "spfd-spawn";

    /// <inheritdoc />
    public string Description => "mailseal-spfd vs policyd-spf started per connection by Postfix's spawn(8): ms from connect to the first answer, paired (goal < 10 ms); needs root";

    /// <inheritdoc />
    public string Usage =>
        "  --runs N        paired rounds at most (default 40, 5..1000; each round starts every program once)\n" +
        "  --time-limit S  seconds of rounds at most, after the first 5 (default 90)";

    /// <inheritdoc />
    public bool IsBenchmark => true;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var options = new OptionReader(args, ["--runs", "--time-limit"], []);
        int runs = (int)options.Number("--runs", 40, 5, 1000);
        var timeLimit = TimeSpan.FromSeconds(options.Number("--time-limit", 90, 5, 3600));
        var spfd = PublishedTools.Path("mailseal-spfd");
        var hello = await NativeHelloWorld.PathAsync(cancellationToken).ConfigureAwait(false);

        var testbed = await SpfdTestbed.StartAsync(cancellationToken).ConfigureAwait(false);
        await using (testbed.ConfigureAwait(false))
        {
            // Spawn mode logs to syslog only (stderr belongs to the Postfix connection): a listening /dev/log stand-in.
            var syslog = new SyslogSink(Path.Combine(testbed.Folder, "log.sock"));
            await using var syslogScope = syslog.ConfigureAwait(false);
            File.SetUnixFileMode(syslog.Path, (UnixFileMode)0b110_110_110);
            string[] spfdCommand = [spfd, "--config", testbed.PolicydConf, "--syslog-socket", syslog.Path, "--dns-servers", SpfdTestbed.DnsAddress];
            var postfix = await PostfixSpawn.StartAsync(testbed, new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
            {
                ["policy-mailseal"] = spfdCommand,
                ["policy-policyd"] = testbed.PolicydCommand,
                ["policy-cat"] = ["/bin/cat"],
                ["policy-hello"] = [hello],
            }, cancellationToken).ConfigureAwait(false);
            await using var postfixScope = postfix.ConfigureAwait(false);
            var answers = new Dictionary<string, string>(StringComparer.Ordinal);
            int next = 0;
            var contenders = new List<Contender>
            {
                new(Spawned, _ => Task.FromResult(ThroughSpawn(postfix, "policy-mailseal", Spawned, SpfdTestbed.Request(next++), answers))),
                new(Policyd, _ => Task.FromResult(ThroughSpawn(postfix, "policy-policyd", Policyd, SpfdTestbed.Request(next++), answers))),
                new(CatSpawned, _ => Task.FromResult(ThroughSpawn(postfix, "policy-cat", CatSpawned, "action=DUNNO\n\n", answers))),
                new(HelloSpawned, _ => Task.FromResult(ThroughSpawn(postfix, "policy-hello", HelloSpawned, string.Empty, answers, toEnd: true))),
                new(Direct, ct => FirstAnswerAsync(Direct, Plain(spfdCommand), SpfdTestbed.Request(next++), answers, ct)),
                new(CatDirect, ct => FirstAnswerAsync(CatDirect, Plain(["/bin/cat"]), "action=DUNNO\n\n", answers, ct)),
                new(HelloDirect, ct => FirstAnswerAsync(HelloDirect, Plain([hello]), string.Empty, answers, ct, toEnd: true)),
            };

            string loadBefore = LoadAverage.Read();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"spfd-spawn: a process per connection, ms from connect (or start) to the first answer's blank line; paired rounds; a private Postfix master's spawn(8) services, commands run as nobody; unbound on {SpfdTestbed.DnsAddress}:53; {Environment.ProcessorCount} cores, load average {loadBefore}"));
            var result = await PairedRounds.RunAsync(contenders, runs, Math.Min(5, runs), timeLimit, cancellationToken).ConfigureAwait(false);
            string loadAfter = LoadAverage.Read();

            var table = new TextTable("program", "median ms", "min ms", "p90 ms", "rounds", "its time / policyd-spf's", "paired");
            foreach (var contender in contenders)
            {
                string name = contender.Name;
                table.Add(name, Ms(result.Median(name)), Ms(result.Min(name)), Ms(result.Percentile(name, 0.9)), result.Rounds.ToString(CultureInfo.InvariantCulture),
                    name == Policyd ? "-" : Ratio(result.Median(name) / result.Median(Policyd)), name == Policyd ? "-" : Ratio(result.PairedRatio(name, Policyd)));
            }

            output.WriteLine();
            table.WriteTo(output);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {result.Rounds} rounds in {result.Elapsed.TotalSeconds:F0} s; load average {loadBefore} before, {loadAfter} after"));
            output.WriteLine("  \"paired\" = the median over rounds of (its time / policyd-spf's time in the same round)");
            output.WriteLine($"  syslog lines from mailseal-spfd: {await syslog.StopAsync().ConfigureAwait(false)} (debugLevel 0 in the shared policyd-spf.conf: errors only)");
            if (answers.GetValueOrDefault(Spawned) is { } ours && answers.GetValueOrDefault(Policyd) is { } theirs && !string.Equals(FirstWord(ours), FirstWord(theirs), StringComparison.OrdinalIgnoreCase))
                output.WriteLine($"  note: the last answers differ:\n    mailseal-spfd: {ours}\n    policyd-spf:   {theirs}");

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  floors through spawn(8): cat {result.Median(CatSpawned):F1} ms, NativeAOT hello world {result.Median(HelloSpawned):F1} ms; started by the benchmark: cat {result.Median(CatDirect):F1} ms, hello world {result.Median(HelloDirect):F1} ms (medians); mailseal-spfd's own work beyond the hello world through spawn(8): {result.Median(Spawned) - result.Median(HelloSpawned):F1} ms"));
            var (touched, populated) = PageFaults.CostMicroseconds();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  a page fault on this machine: {touched:F2} us per fresh page touched one at a time; {(populated is { } bulk ? bulk.ToString("F2", CultureInfo.InvariantCulture) + " us per page" : "n/a (no MADV_POPULATE_WRITE)")} mapped in bulk (a process start touches a few hundred pages; docs/benchmarks.md)"));
            double spawned = result.Median(Spawned);
            double speedup = result.Median(Policyd) / spawned;
            output.WriteLine();
            output.WriteLine("Goals");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  mailseal-spfd's first answer on a new spawn(8) connection under {GoalMilliseconds} ms: {spawned:F1} ms median (min {result.Min(Spawned):F1}, p90 {result.Percentile(Spawned, 0.9):F1})  {(spawned < GoalMilliseconds ? "met" : "NOT met")}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  vs policyd-spf through the same spawn(8): policyd-spf takes {speedup:F1}x mailseal-spfd's time (paired {1 / result.PairedRatio(Spawned, Policyd):F1}x); issue's figure for policyd-spf: ~59 ms per new spawn"));
            return 0;
        }
    }

    private static double ThroughSpawn(PostfixSpawn postfix, string service, string name, string request, Dictionary<string, string> answers, bool toEnd = false)
    {
        var (ms, answer) = postfix.FirstAnswer(service, request, toEnd);
        lock (answers)
            answers[name] = answer;
        return ms;
    }

    private static ProcessStartInfo Plain(IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in command.Skip(1))
            info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>
    /// Starts the program, writes <paramref name="request"/>, and returns the milliseconds until
    /// the blank line ending its first answer (<paramref name="toEnd"/>: the end of its output, for a
    /// program that answers nothing); then closes its stdin and waits for it to exit (not timed).
    /// </summary>
    private static async Task<double> FirstAnswerAsync(string name, ProcessStartInfo info, string request, Dictionary<string, string> answers, CancellationToken cancellationToken, bool toEnd = false)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}");
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            var stdin = process.StandardInput.BaseStream;
            await stdin.WriteAsync(Encoding.ASCII.GetBytes(request), deadline.Token).ConfigureAwait(false);
            await stdin.FlushAsync(deadline.Token).ConfigureAwait(false);
            var reply = new MemoryStream();
            var buffer = new byte[4096];
            while (toEnd || reply.Length < 2 || !reply.GetBuffer().AsSpan(0, (int)reply.Length).EndsWith("\n\n"u8))
            {
                int n = await process.StandardOutput.BaseStream.ReadAsync(buffer, deadline.Token).ConfigureAwait(false);
                if (n == 0 && toEnd && reply.Length > 0)
                    break;
                if (n == 0)
                    throw new InvalidOperationException($"{name} closed its stdout without an answer: {(await stderr.ConfigureAwait(false)).Trim()}");
                if (reply.Length + n > 8192)
                    throw new InvalidOperationException($"{name} answered more than 8 KiB");
                reply.Write(buffer, 0, n);
            }

            double ms = clock.Elapsed.TotalMilliseconds;
            lock (answers)
                answers[name] = Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length).Trim();
            process.StandardInput.Close();
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return ms;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static string FirstWord(string answer) => answer.Split(' ', 2)[0];

    private static string Ms(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);

    private static string Ratio(double r) => r.ToString("F2", CultureInfo.InvariantCulture) + "x";
}
