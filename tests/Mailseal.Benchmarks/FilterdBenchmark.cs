using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>filterd</c>: the daemon alone, as Postfix's smtp client drives it (SMTP in, encrypt to one
/// cv25519 key, SMTP out to a sink on loopback that counts and discards), with
/// <c>--concurrency</c> client connections sending pipelined transactions, in messages and MB
/// per second, the daemon's CPU time per message and its peak RSS per size. Beside it, native
/// mailseal-pipe doing the same work the way pipe(8) runs it (one process per message, the
/// message on stdin, SMTP re-injection to the same sink), the two alternating round by round
/// (the order turning each round), so the ratio is paired. Spam check off for both: spamd's
/// cost is the same per message for both and would hide the difference. Postfix is not in the
/// loop here: <c>filterd-postfix</c> measures that.
/// </summary>
public sealed class FilterdBenchmark : IBenchmarkCommand
{
    /// <summary>The issue's goal for 10 KB messages, daemon alone.</summary>
    private const double GoalPerSecond = 1000;

    private static readonly TimeSpan RoundLimit = TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public string Name => "filterd";

    /// <inheritdoc />
    public string Description => "messages/s and MB/s of the native mailseal-filterd alone (SMTP in, encrypt, SMTP out to a sink), CPU ms/msg, peak RSS; vs native mailseal-pipe (a process per message), paired rounds, 10 KB and 1 MB";

    /// <inheritdoc />
    public string Usage =>
        "  --messages N         filterd messages per size below 512 KiB, over all rounds (default 3000)\n" +
        "  --large-messages N   filterd messages per size of 512 KiB and more (default 300)\n" +
        "  --pipe-messages N    mailseal-pipe messages per size below 512 KiB (default 150; larger sizes a tenth, at least one per round)\n" +
        "  --rounds N           counted rounds, after one warm-up round (default 3, 1..20)\n" +
        "  --sizes LIST         body sizes (default 10K,1M)\n" +
        "  --concurrency N      client connections (filterd; also its --max-sessions) or processes (pipe) at once (default 8)\n" +
        "  --no-pipe            the daemon alone, without mailseal-pipe beside it";

    /// <inheritdoc />
    public bool IsBenchmark => true;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new OptionReader(args, ["--messages", "--large-messages", "--pipe-messages", "--rounds", "--sizes", "--concurrency"], ["--no-pipe"]);
        int rounds = (int)options.Number("--rounds", 3, 1, 20);
        int messages = (int)options.Number("--messages", 3000, rounds, 1_000_000);
        int largeMessages = (int)options.Number("--large-messages", 300, rounds, 100_000);
        int pipeMessages = (int)options.Number("--pipe-messages", 150, rounds, 100_000);
        var sizes = options.Sizes("--sizes", [10 * 1024, 1024 * 1024], 50L * 1024 * 1024);
        int concurrency = (int)options.Number("--concurrency", 8, 1, 256);
        bool withPipe = !options.Has("--no-pipe");

        string root = Directory.CreateTempSubdirectory("mailseal-bench-filterd").FullName;
        try
        {
            string keys = Path.Combine(root, "keys");
            Directory.CreateDirectory(keys);
            await MakeKeyAsync(root, Path.Combine(keys, "rcpt@bench.test.asc"), cancellationToken);
            string config = Path.Combine(root, "mailseal.conf");
            await File.WriteAllTextAsync(config, "# benchmark: flags only\n", cancellationToken);
            await using var sink = new SmtpCountingSink();
            await using var syslog = new SyslogSink(Path.Combine(root, "log.sock"));
            int port = FreePort();
            string daemonLog = Path.Combine(root, "filterd.log");
            using var filterd = StartFilterd(config, keys, port, sink.Port, concurrency, syslog.Path, daemonLog);
            try
            {
                await WaitListeningAsync(port, filterd, daemonLog);
                long startRss = ReadStatusKib(filterd.Id, "VmRSS:");
                output.WriteLine($"mailseal-filterd: {PublishedTools.Path("mailseal-filterd")} (pid {filterd.Id}, RSS {startRss / 1024.0:F1} MiB listening)" + (withPipe ? $"; mailseal-pipe: {PublishedTools.Path("mailseal-pipe")}" : string.Empty));
                output.WriteLine($"{concurrency} connections{(withPipe ? " (pipe: processes)" : string.Empty)} at once, pipelined; spam check off; one cv25519 key in a key folder; re-injection to a counting SMTP sink; 1 warm-up + {rounds} counted rounds{(withPipe ? ", order turning" : string.Empty)}");
                output.WriteLine($"load average before: {LoadAverage.Read()} ({Environment.ProcessorCount} CPUs)");
                var table = new TextTable(withPipe
                    ? ["size", "filterd msgs", "msg/s", "MB/s", "best msg/s", "CPU ms/msg", "peak RSS", "pipe msgs", "pipe msg/s", "ratio", "paired"]
                    : ["size", "filterd msgs", "msg/s", "MB/s", "best msg/s", "CPU ms/msg", "peak RSS"]);
                var goal = new List<string>();
                foreach (long size in sizes)
                {
                    byte[] message = Message(size);
                    bool large = size >= 512 * 1024;
                    int fPerRound = Math.Max(1, (large ? largeMessages : messages) / rounds);
                    int pPerRound = Math.Max(1, (large ? pipeMessages / 10 : pipeMessages) / rounds);
                    ResetPeakRss(filterd.Id);
                    await RunFilterdAsync(port, message, Math.Min(fPerRound, 4 * concurrency), concurrency, sink, cancellationToken); // warm-up
                    if (withPipe)
                        await RunPipeAsync(config, keys, sink.Port, syslog.Path, message, Math.Min(pPerRound, concurrency), concurrency, sink, cancellationToken);
                    var fRates = new List<double>();
                    var pRates = new List<double>();
                    var paired = new List<double>();
                    TimeSpan cpu = TimeSpan.Zero;
                    for (int round = 0; round < rounds; round++)
                    {
                        double f = 0, p = 0;
                        async Task Filterd()
                        {
                            filterd.Refresh();
                            var before = filterd.TotalProcessorTime;
                            f = fPerRound / (await RunFilterdAsync(port, message, fPerRound, concurrency, sink, cancellationToken)).TotalSeconds;
                            filterd.Refresh();
                            cpu += filterd.TotalProcessorTime - before;
                        }

                        async Task Pipe() => p = pPerRound / (await RunPipeAsync(config, keys, sink.Port, syslog.Path, message, pPerRound, concurrency, sink, cancellationToken)).TotalSeconds;

                        if (!withPipe)
                        {
                            await Filterd();
                        }
                        else if (round % 2 == 0)
                        {
                            await Filterd();
                            await Pipe();
                        }
                        else
                        {
                            await Pipe();
                            await Filterd();
                        }

                        fRates.Add(f);
                        if (withPipe)
                        {
                            pRates.Add(p);
                            paired.Add(f / p);
                        }
                    }

                    double rate = Statistics.Median(fRates);
                    double mbps = rate * message.Length / 1e6;
                    double cpuMs = cpu.TotalMilliseconds / (fPerRound * rounds);
                    long peak = ReadStatusKib(filterd.Id, "VmHWM:");
                    var cells = new List<string>
                    {
                        OptionReader.FormatSize(size), (fPerRound * rounds).ToString(CultureInfo.InvariantCulture), F1(rate), F1(mbps), F1(fRates.Max()),
                        cpuMs.ToString("F2", CultureInfo.InvariantCulture), (peak / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
                    };
                    if (withPipe)
                    {
                        double pipeRate = Statistics.Median(pRates);
                        cells.AddRange([(pPerRound * rounds).ToString(CultureInfo.InvariantCulture), F1(pipeRate), F1(rate / pipeRate) + "x", F1(Statistics.Median(paired)) + "x"]);
                    }

                    table.Add([.. cells]);
                    if (size == 10 * 1024)
                        goal.Add($"goal (issue #13): at least {GoalPerSecond:F0} messages/s of 10 KB, daemon alone: {(rate >= GoalPerSecond ? "met" : "NOT met")} (median of {rounds} rounds {rate:F1} msg/s, best {fRates.Max():F1}; CPU {cpuMs:F2} ms per message, so one busy core alone would give about {1000 / cpuMs:F0} msg/s)");
                }

                table.WriteTo(output);
                output.WriteLine($"load average after: {LoadAverage.Read()}");
                output.WriteLine("msg/s: median over rounds; MB/s: of the plaintext message; CPU ms/msg: the daemon's own user+system time per message (/proc); peak RSS: VmHWM, reset before each size (clear_refs)");
                if (withPipe)
                    output.WriteLine("ratio: median filterd msg/s / median pipe msg/s; paired: median over rounds of the two rates' ratio in the same round");
                foreach (string line in goal)
                    output.WriteLine(line);
            }
            finally
            {
                if (!filterd.HasExited)
                {
                    filterd.Kill();
                    await filterd.WaitForExitAsync(cancellationToken);
                }
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string F1(double value) => value.ToString("F1", CultureInfo.InvariantCulture);


    private static Process StartFilterd(string config, string keys, int port, int sinkPort, int concurrency, string syslog, string log)
    {
        // stderr (the journal on a server) to a file: a terminal would slow the daemon down
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >>\"$MAILSEAL_BENCH_LOG\" 2>&1");
        psi.ArgumentList.Add(PublishedTools.Path("mailseal-filterd"));
        foreach (string a in new[]
        {
            "--config", config, "--key-dir", keys, "--local-domains", "bench.test", "--spam-check", "false",
            "--listen", $"inet:127.0.0.1:{port}", "--reinject", $"smtp:127.0.0.1:{sinkPort}",
            "--max-sessions", concurrency.ToString(CultureInfo.InvariantCulture), "--syslog-socket", syslog,
        })
            psi.ArgumentList.Add(a);
        psi.Environment["MAILSEAL_BENCH_LOG"] = log;
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start mailseal-filterd");
    }

    private static async Task WaitListeningAsync(int port, Process filterd, string log)
    {
        for (int i = 0; i < 300; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                if (filterd.HasExited)
                    throw new InvalidOperationException($"mailseal-filterd exited {filterd.ExitCode}: {(File.Exists(log) ? File.ReadAllText(log) : string.Empty)}");
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("mailseal-filterd did not listen within 30 s");
    }

    private static async Task<TimeSpan> RunFilterdAsync(int port, byte[] message, int count, int concurrency, SmtpCountingSink sink, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(RoundLimit);
        long before = sink.Count;
        var sw = Stopwatch.StartNew();
        await SmtpLoad.SendAsync(port, count, concurrency, _ => ("rcpt@bench.test", message), limit.Token);
        sw.Stop();
        // every 250 came after the sink's 250 for that message's copy
        if (sink.Count - before != count)
            throw new InvalidOperationException($"the sink got {sink.Count - before} copies of {count} messages");
        return sw.Elapsed;
    }

    private static async Task<TimeSpan> RunPipeAsync(string config, string keys, int sinkPort, string syslog, byte[] message, int count, int concurrency, SmtpCountingSink sink, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(RoundLimit);
        long before = sink.Count;
        int next = 0;
        string tool = PublishedTools.Path("mailseal-pipe");
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                var psi = new ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (string a in new[]
                {
                    "--config", config, "--key-dir", keys, "--local-domains", "bench.test", "--spam-check", "false",
                    "--reinject", "smtp", "--reinject-smtp", $"inet:127.0.0.1:{sinkPort}", "--syslog-socket", syslog,
                    "-f", "sender@example.org", "--", "rcpt@bench.test",
                })
                    psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                var err = p.StandardError.ReadToEndAsync(limit.Token);
                await p.StandardInput.BaseStream.WriteAsync(message, limit.Token); // no line starts with a dot: SMTP form = pipe form
                p.StandardInput.Close();
                await p.WaitForExitAsync(limit.Token);
                if (p.ExitCode != 0)
                    throw new InvalidOperationException($"mailseal-pipe exited {p.ExitCode}: {await err}");
            }
        }).ToList();
        await Task.WhenAll(workers);
        sw.Stop();
        if (sink.Count - before != count)
            throw new InvalidOperationException($"the sink got {sink.Count - before} copies of {count} messages");
        return sw.Elapsed;
    }

    /// <summary>A /proc/PID/status memory line in KiB (VmRSS:, VmHWM:); 0 when gone.</summary>
    private static long ReadStatusKib(int pid, string field)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[field.Length..].Replace("kB", string.Empty, StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Resets the daemon's VmHWM to its current RSS (proc(5): clear_refs 5), so each size's peak is its own.</summary>
    private static void ResetPeakRss(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot reset the peak RSS of pid {pid} (/proc/{pid}/clear_refs: {e.Message}); run as the daemon's user or root");
        }
    }

    /// <summary>A text message of about <paramref name="size"/> bytes, CRLF, no line starting with a dot (so it is its own SMTP form).</summary>
    private static byte[] Message(long size)
    {
        var sb = new StringBuilder("From: sender@example.org\r\nTo: rcpt@bench.test\r\nSubject: bench\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
        var rng = new Random(42);
        var line = new char[76];
        while (sb.Length < size)
        {
            for (int i = 0; i < line.Length; i++)
                line[i] = (char)('a' + rng.Next(26));
            sb.Append(line).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task MakeKeyAsync(string root, string keyFile, CancellationToken ct)
    {
        string home = Path.Combine(root, "gnupg");
        Directory.CreateDirectory(home);
        File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        async Task<string> Gpg(params string[] a)
        {
            var psi = new ProcessStartInfo("gpg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string x in new[] { "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", string.Empty }.Concat(a))
                psi.ArgumentList.Add(x);
            using var p = Process.Start(psi)!;
            string o = await p.StandardOutput.ReadToEndAsync(ct);
            string e = await p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct);
            return p.ExitCode == 0 ? o : throw new InvalidOperationException("gpg " + string.Join(' ', a) + ": " + e);
        }

        try
        {
            await Gpg("--quick-gen-key", "Bench <rcpt@bench.test>", "ed25519", "default", "never");
            string fpr = (await Gpg("--with-colons", "--list-keys", "rcpt@bench.test")).Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
            await Gpg("--quick-add-key", fpr, "cv25519", "encr", "never");
            await File.WriteAllTextAsync(keyFile, await Gpg("--armor", "--export", "rcpt@bench.test"), ct);
        }
        finally
        {
            // the agent gpg started for the key generation (gpg itself has no --kill: gpgconf has)
            await ProcessRunner.RunAsync("gpgconf", ["--homedir", home, "--kill", "all"], timeout: TimeSpan.FromSeconds(10), ct: CancellationToken.None);
        }
    }
}
