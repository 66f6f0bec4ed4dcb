using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>spfd-spawn</c>: a policy server started per connection, as Postfix's spawn(8) runs it
/// (stdin and stdout are the connection). Each run starts the program, writes one policy request
/// and stops the clock at the blank line that ends the first answer: what an smtpd waits for on a
/// new connection. Paired rounds (<see cref="PairedRounds"/>) of the native mailseal-spfd and
/// /usr/bin/policyd-spf against the same unbound (<see cref="SpfdTestbed"/>).
/// policyd-spf finds that unbound only through /etc/resolv.conf, so it runs in the testbed's mount
/// namespace (unshare, a shell, a bind mount, then exec); mailseal-spfd runs both ways: spawned
/// directly with <c>--dns-servers</c>, as Postfix would start it (the figure for the goal), and
/// through the same namespace wrapper (the like-for-like ratio). A fourth row, <c>cat</c> in the
/// wrapper echoing a reply, is what the wrapper and a C process cost alone. Two floors spawned
/// directly, as mailseal-spfd is for the goal: <c>cat</c> echoing a reply (a C process) and a
/// NativeAOT "hello, world" (<see cref="NativeHelloWorld"/>, timed to the end of its output): what
/// a native .NET process costs before it does any work.
/// </summary>
public sealed class SpfdSpawnBenchmark : IBenchmarkCommand
{
    /// <summary>The goal: mailseal-spfd's first answer on a new spawn within this many milliseconds.</summary>
    private const double GoalMilliseconds = 10;

    private const string Direct = "mailseal-spfd (native, spawned directly)";
    private const string SpfdWrapped = "mailseal-spfd (native, in the namespace)";
    private const string Policyd = "policyd-spf (in the namespace)";
    private const string Floor = "cat in the namespace (the wrapper alone)";
    private const string CatDirect = "cat spawned directly (a C process)";
    private const string HelloDirect = "NativeAOT hello world, spawned directly";

    /// <inheritdoc />
    public string Name => "spfd-spawn";

    /// <inheritdoc />
    public string Description => "mailseal-spfd vs policyd-spf started per connection (spawn(8)): ms from start to the first answer, paired (goal < 10 ms)";

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
            string[] spfdArgs = ["--config", testbed.PolicydConf, "--syslog-socket", syslog.Path];
            var answers = new Dictionary<string, string>(StringComparer.Ordinal);
            int next = 0;
            var contenders = new List<Contender>
            {
                new(Direct, ct => FirstAnswerAsync(Direct, Plain([spfd, .. spfdArgs, "--dns-servers", SpfdTestbed.DnsAddress]), SpfdTestbed.Request(next++), answers, ct)),
                new(SpfdWrapped, ct => FirstAnswerAsync(SpfdWrapped, testbed.InNamespace([spfd, .. spfdArgs]), SpfdTestbed.Request(next++), answers, ct)),
                new(Policyd, ct => FirstAnswerAsync(Policyd, testbed.InNamespace(testbed.PolicydCommand), SpfdTestbed.Request(next++), answers, ct)),
                new(Floor, ct => FirstAnswerAsync(Floor, testbed.InNamespace(["/bin/cat"]), "action=DUNNO\n\n", answers, ct)),
                new(CatDirect, ct => FirstAnswerAsync(CatDirect, Plain(["/bin/cat"]), "action=DUNNO\n\n", answers, ct)),
                new(HelloDirect, ct => FirstAnswerAsync(HelloDirect, Plain([hello]), string.Empty, answers, ct, toEnd: true)),
            };

            string loadBefore = LoadAverage.Read();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"spfd-spawn: a process per connection (spawn(8)), ms from start to the first answer's blank line; paired rounds; unbound on {SpfdTestbed.DnsAddress}:53; {Environment.ProcessorCount} cores, load average {loadBefore}"));
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
            if (answers.GetValueOrDefault(Direct) is { } ours && answers.GetValueOrDefault(Policyd) is { } theirs && !string.Equals(FirstWord(ours), FirstWord(theirs), StringComparison.OrdinalIgnoreCase))
                output.WriteLine($"  note: the last answers differ:\n    mailseal-spfd: {ours}\n    policyd-spf:   {theirs}");

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  floors spawned directly: cat {result.Median(CatDirect):F1} ms, NativeAOT hello world {result.Median(HelloDirect):F1} ms (median); mailseal-spfd's own work beyond the hello world: {result.Median(Direct) - result.Median(HelloDirect):F1} ms"));
            double direct = result.Median(Direct);
            double speedup = result.Median(Policyd) / result.Median(SpfdWrapped);
            output.WriteLine();
            output.WriteLine("Goals");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  mailseal-spfd's first answer on a new spawn under {GoalMilliseconds} ms: {direct:F1} ms median (min {result.Min(Direct):F1}, p90 {result.Percentile(Direct, 0.9):F1})  {(direct < GoalMilliseconds ? "met" : "NOT met")}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  vs policyd-spf, both in the namespace wrapper: policyd-spf takes {speedup:F1}x mailseal-spfd's time (paired {1 / result.PairedRatio(SpfdWrapped, Policyd):F1}x); issue's figure for policyd-spf: ~59 ms per new spawn"));
            return 0;
        }
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
