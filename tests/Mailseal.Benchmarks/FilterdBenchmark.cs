using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>filterd</c>: the daemon alone, as Postfix's smtp client would drive it (SMTP in, encrypt to
/// one cv25519 key, SMTP out to a sink on loopback that counts and discards), in messages per
/// second, against native mailseal-pipe doing the same work the way pipe(8) runs it (one process
/// per message, the message on stdin, re-injection over SMTP to the same sink), in the same run,
/// rounds alternating. Spam check off for both: spamd's cost is the same per message for both
/// and would hide the difference. Postfix is not in the loop here (see docs/filterd.md for what
/// that leaves out). Prints the daemon's peak RSS per size.
/// </summary>
public sealed class FilterdBenchmark : IBenchmarkCommand
{
    private const int Rounds = 3;

    /// <inheritdoc />
    public string Name => "filterd";

    /// <inheritdoc />
    public string Description => "messages/s of the native mailseal-filterd alone (SMTP in, encrypt, SMTP out to a sink) vs native mailseal-pipe (a process per message), 10 KB and 1 MB";

    /// <inheritdoc />
    public string Usage =>
        "  --messages N         filterd messages per size at 10 KB, in 3 alternating rounds (default 3000; 1 MB runs a fiftieth)\n" +
        "  --pipe-messages N    mailseal-pipe messages per size at 10 KB (default 150; 1 MB runs a tenth)\n" +
        "  --sizes LIST         body sizes (default 10K,1M)\n" +
        "  --concurrency N      client connections (filterd) or processes (pipe) at once (default 8)";

    /// <inheritdoc />
    public bool IsBenchmark => true;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new OptionReader(args, ["--messages", "--pipe-messages", "--sizes", "--concurrency"], []);
        int messages = (int)options.Number("--messages", 3000, Rounds, 1_000_000);
        int pipeMessages = (int)options.Number("--pipe-messages", 150, Rounds, 100_000);
        var sizes = options.Sizes("--sizes", [10 * 1024, 1024 * 1024], 50L * 1024 * 1024);
        int concurrency = (int)options.Number("--concurrency", 8, 1, 256);

        string root = Directory.CreateTempSubdirectory("mailseal-bench-filterd").FullName;
        try
        {
            string keys = Path.Combine(root, "keys");
            Directory.CreateDirectory(keys);
            await MakeKeyAsync(root, Path.Combine(keys, "rcpt@bench.test.asc"), cancellationToken);
            string config = Path.Combine(root, "mailseal.conf");
            await File.WriteAllTextAsync(config, "# benchmark: flags only\n", cancellationToken);
            await using var sink = new Sink();
            int port = FreePort();
            var filterd = StartFilterd(config, keys, port, sink.Port, concurrency);
            try
            {
                await WaitListeningAsync(port, filterd);
                output.WriteLine($"mailseal-filterd: {PublishedTools.Path("mailseal-filterd")} (pid {filterd.Id}), mailseal-pipe: {PublishedTools.Path("mailseal-pipe")}");
                output.WriteLine($"{concurrency} at once; spam check off; one cv25519 key; {Rounds} alternating rounds; load average before: {LoadAverage.Read()} ({Environment.ProcessorCount} CPUs)");
                var table = new TextTable("size", "filterd msgs", "filterd msg/s", "pipe msgs", "pipe msg/s", "ratio", "filterd peak RSS");
                foreach (long size in sizes)
                {
                    byte[] message = Message(size);
                    int fCount = Math.Max(Rounds, size >= 512 * 1024 ? messages / 50 : messages);
                    int pCount = Math.Max(Rounds, size >= 512 * 1024 ? pipeMessages / 10 : pipeMessages);
                    await RunFilterdAsync(port, message, concurrency, concurrency, sink, cancellationToken); // warm-up
                    await RunPipeAsync(config, keys, sink.Port, message, concurrency, concurrency, sink, cancellationToken);
                    TimeSpan fTime = TimeSpan.Zero, pTime = TimeSpan.Zero;
                    for (int round = 0; round < Rounds; round++)
                    {
                        fTime += await RunFilterdAsync(port, message, fCount / Rounds, concurrency, sink, cancellationToken);
                        pTime += await RunPipeAsync(config, keys, sink.Port, message, pCount / Rounds, concurrency, sink, cancellationToken);
                    }

                    double fRate = fCount / Rounds * Rounds / fTime.TotalSeconds;
                    double pRate = pCount / Rounds * Rounds / pTime.TotalSeconds;
                    long rss = PeakRssSampler.ReadVmHwmKib($"/proc/{filterd.Id}/status");
                    table.Add(OptionReader.FormatSize(size), (fCount / Rounds * Rounds).ToString(CultureInfo.InvariantCulture), fRate.ToString("F1", CultureInfo.InvariantCulture),
                        (pCount / Rounds * Rounds).ToString(CultureInfo.InvariantCulture), pRate.ToString("F1", CultureInfo.InvariantCulture),
                        (fRate / pRate).ToString("F1", CultureInfo.InvariantCulture) + "x", (rss / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB");
                }

                table.WriteTo(output);
                output.WriteLine($"load average after: {LoadAverage.Read()}");
            }
            finally
            {
                if (!filterd.HasExited)
                {
                    filterd.Kill();
                    await filterd.WaitForExitAsync(cancellationToken);
                }

                filterd.Dispose();
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static Process StartFilterd(string config, string keys, int port, int sinkPort, int concurrency)
    {
        var psi = new ProcessStartInfo(PublishedTools.Path("mailseal-filterd")) { RedirectStandardError = false, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[]
        {
            "--config", config, "--key-dir", keys, "--local-domains", "bench.test", "--spam-check", "false",
            "--listen", $"inet:127.0.0.1:{port}", "--reinject", $"smtp:127.0.0.1:{sinkPort}",
            "--max-sessions", concurrency.ToString(CultureInfo.InvariantCulture), "--syslog-socket", "/nonexistent/bench-no-syslog",
        })
            psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start mailseal-filterd");
    }

    private static async Task WaitListeningAsync(int port, Process filterd)
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
                    throw new InvalidOperationException($"mailseal-filterd exited {filterd.ExitCode}");
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("mailseal-filterd did not listen within 30 s");
    }

    private static async Task<TimeSpan> RunFilterdAsync(int port, byte[] message, int count, int concurrency, Sink sink, CancellationToken ct)
    {
        long before = sink.Count;
        int next = 0;
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(async _ =>
        {
            using var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(IPAddress.Loopback, port, ct);
            var stream = client.GetStream();
            var reader = new ReplyReader(stream);
            await reader.ExpectAsync("220", ct);
            await stream.WriteAsync("EHLO bench\r\n"u8.ToArray(), ct);
            await reader.ExpectAsync("250", ct);
            while (Interlocked.Increment(ref next) <= count)
            {
                // pipelined, as Postfix's smtp client sends them
                await stream.WriteAsync("MAIL FROM:<sender@example.com>\r\nRCPT TO:<rcpt@bench.test>\r\nDATA\r\n"u8.ToArray(), ct);
                await reader.ExpectAsync("250", ct);
                await reader.ExpectAsync("250", ct);
                await reader.ExpectAsync("354", ct);
                await stream.WriteAsync(message, ct);
                await stream.WriteAsync(".\r\n"u8.ToArray(), ct);
                await reader.ExpectAsync("250", ct);
            }

            await stream.WriteAsync("QUIT\r\n"u8.ToArray(), ct);
        }).ToList();
        await Task.WhenAll(workers);
        sw.Stop();
        if (sink.Count - before != count)
            throw new InvalidOperationException($"the sink got {sink.Count - before} copies of {count} messages");
        return sw.Elapsed;
    }

    private static async Task<TimeSpan> RunPipeAsync(string config, string keys, int sinkPort, byte[] message, int count, int concurrency, Sink sink, CancellationToken ct)
    {
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
                    "--reinject", "smtp", "--reinject-smtp", $"inet:127.0.0.1:{sinkPort}", "--syslog-socket", "/nonexistent/bench-no-syslog",
                    "-f", "sender@example.com", "--", "rcpt@bench.test",
                })
                    psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                var err = p.StandardError.ReadToEndAsync(ct);
                await p.StandardInput.BaseStream.WriteAsync(Unstuffed(message), ct);
                p.StandardInput.Close();
                await p.WaitForExitAsync(ct);
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

    /// <summary>A text message of about <paramref name="size"/> bytes, CRLF, no line starting with a dot (so it is its own SMTP form).</summary>
    private static byte[] Message(long size)
    {
        var sb = new StringBuilder("From: sender@example.com\r\nTo: rcpt@bench.test\r\nSubject: bench\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
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

    private static byte[] Unstuffed(byte[] message) => message; // no line starts with a dot

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

        await Gpg("--quick-gen-key", "Bench <rcpt@bench.test>", "ed25519", "default", "never");
        string fpr = (await Gpg("--with-colons", "--list-keys", "rcpt@bench.test")).Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
        await Gpg("--quick-add-key", fpr, "cv25519", "encr", "never");
        await File.WriteAllTextAsync(keyFile, await Gpg("--armor", "--export", "rcpt@bench.test"), ct);
        await Gpg("--kill", "all").ContinueWith(_ => { }, ct, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Reads SMTP replies (the last line of each) from a stream.</summary>
    private sealed class ReplyReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _start;
        private int _end;

        public async Task ExpectAsync(string code, CancellationToken ct)
        {
            while (true)
            {
                string line = await LineAsync(ct);
                if (line.Length >= 4 && line[3] == '-')
                    continue;
                if (!line.StartsWith(code, StringComparison.Ordinal))
                    throw new InvalidOperationException($"expected {code}, got '{line}'");
                return;
            }
        }

        private async Task<string> LineAsync(CancellationToken ct)
        {
            while (true)
            {
                int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (nl >= 0)
                {
                    string s = Encoding.ASCII.GetString(_buffer, _start, nl - _start).TrimEnd('\r');
                    _start = nl + 1;
                    return s;
                }

                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                int n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
                if (n == 0)
                    throw new IOException("connection closed");
                _end += n;
            }
        }
    }

    /// <summary>An SMTP sink on loopback: accepts everything, counts messages at their final dot, keeps nothing.</summary>
    private sealed class Sink : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private long _count;

        public Sink()
        {
            _listener.Start(512);
            _loop = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public long Count => Interlocked.Read(ref _count);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient c;
                try
                {
                    c = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }

                _ = Task.Run(() => ServeAsync(c));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var s = client.GetStream();
                    await s.WriteAsync("220 sink ESMTP\r\n"u8.ToArray());
                    byte[] buf = new byte[64 * 1024];
                    var pending = new List<byte>();
                    bool inData = false;
                    ulong tail = 0; // the last bytes seen in DATA
                    while (true)
                    {
                        int n = await s.ReadAsync(buf, _stop.Token);
                        if (n == 0)
                            return;
                        int i = 0;
                        while (i < n)
                        {
                            if (inData)
                            {
                                for (; i < n; i++)
                                {
                                    tail = (tail << 8) | buf[i];
                                    if ((tail & 0xFFFFFFFFFF) == 0x0D0A2E0D0A) // CRLF "." CRLF
                                    {
                                        i++;
                                        inData = false;
                                        Interlocked.Increment(ref _count);
                                        await s.WriteAsync("250 2.0.0 Ok: queued as SINK\r\n"u8.ToArray());
                                        break;
                                    }
                                }

                                continue;
                            }

                            int nl = Array.IndexOf(buf, (byte)'\n', i, n - i);
                            if (nl < 0)
                            {
                                pending.AddRange(buf.AsSpan(i, n - i).ToArray());
                                break;
                            }

                            pending.AddRange(buf.AsSpan(i, nl - i).ToArray());
                            string line = Encoding.ASCII.GetString(pending.ToArray()).TrimEnd('\r');
                            pending.Clear();
                            i = nl + 1;
                            string verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                            if (verb == "EHLO")
                            {
                                await s.WriteAsync("250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"u8.ToArray());
                            }
                            else if (verb == "DATA")
                            {
                                await s.WriteAsync("354 go\r\n"u8.ToArray());
                                inData = true;
                                tail = 0x0D0A; // DATA starts at a line start
                            }
                            else if (verb == "QUIT")
                            {
                                await s.WriteAsync("221 bye\r\n"u8.ToArray());
                                return;
                            }
                            else
                            {
                                await s.WriteAsync("250 ok\r\n"u8.ToArray());
                            }
                        }
                    }
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // a client went away
                }
            }
        }
    }
}
