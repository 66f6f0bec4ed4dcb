using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Mailseal.EndToEnd.Tests.Harness;
using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>filterd-postfix</c>: messages per second delivered into Dovecot mailboxes through real
/// Postfix, once with mailseal-filterd as the content_filter (postfix/mailseal-filterd.postconf)
/// and once with mailseal-pipe (postfix/mailseal-pipe.postconf), both as shipped and both
/// re-injecting over SMTP, in alternating paired rounds on one stack. The stack is the
/// end-to-end harness's <see cref="MailStack"/> (PostgreSQL with the users table as the key
/// store, Dovecot LMTP into Maildirs, Postfix), not a copy of it. Each contender has its own
/// receiving smtpd (the harness's smtp listener for filterd, a second listener for the pipe)
/// and its own re-injection smtpd; spam check off for both. A round sends its messages over
/// several pipelined SMTP connections and ends when every one is in the contender's Maildir
/// and Postfix's queue is empty. At the end every message is checked: in the Maildir exactly
/// once, and encrypted. Needs root (Postfix's master, the pipe user, the harness's servers).
/// </summary>
public sealed class FilterdPostfixBenchmark : IBenchmarkCommand
{
    /// <summary>The issue's goal: filterd's throughput through Postfix at least this times mailseal-pipe's.</summary>
    private const double GoalRatio = 5;

    private const string Marker = "fbench-plaintext-marker";

    private static readonly Regex SubjectLine = new(@"^Subject: (fbench \S+ \d{6})\r?$", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <inheritdoc />
    public string Name => "filterd-postfix";

    /// <inheritdoc />
    public string Description => "messages/s delivered into Dovecot through real Postfix: mailseal-filterd vs mailseal-pipe as content_filter, paired rounds, spam check off";

    /// <inheritdoc />
    public string Usage =>
        "  --messages N         messages per contender and round (default 60, 5..2000)\n" +
        "  --rounds N           counted rounds, after one warm-up round each (default 4, 1..20)\n" +
        "  --size BYTES         body size (default 10K, up to 5M)\n" +
        "  --clients N          SMTP connections sending at once (default 4)\n" +
        "  --processes N        the filter transport's process limit = filterd --max-sessions (default 20, as the fragment ships)\n" +
        "  --round-limit S      time limit of one round (default 300)";

    /// <inheritdoc />
    public bool IsBenchmark => true;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new OptionReader(args, ["--messages", "--rounds", "--size", "--clients", "--processes", "--round-limit"], []);
        int count = (int)options.Number("--messages", 60, 5, 2000);
        int rounds = (int)options.Number("--rounds", 4, 1, 20);
        long size = options.Sizes("--size", [10 * 1024], 5L * 1024 * 1024)[0];
        int clients = (int)options.Number("--clients", 4, 1, 64);
        int processes = (int)options.Number("--processes", 20, 1, 200);
        var roundLimit = TimeSpan.FromSeconds(options.Number("--round-limit", 300, 10, 3600));
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
            throw new InvalidOperationException("filterd-postfix runs Postfix's master, a pipe user and the harness's servers: run it as root");

        var stack = new MailStack(new QuietMessageSink());
        var (cgroup, noCgroup) = CpuCgroup.TryCreate("mailseal-bench-" + stack.Id);
        Process? filterd = null;
        try
        {
            int[] ports = FreePorts.Take(4);
            int filterdPort = ports[0], filterdReinject = ports[1], pipeListener = ports[2], pipeReinject = ports[3];
            // Npgsql pools connections unless told not to (the harness's own strings say Pooling=false): as an admin writes it
            string database = $"Host=127.0.0.1;Port={stack.PostgresPort};Username={MailStack.DatabaseReader};Password={stack.ReaderPassword};Database={MailStack.DatabaseName};Timeout=15";

            // The stack's servers and filterd are started from inside the cgroup, then the benchmark
            // leaves it. The published tools first: a publish's build servers must not land in it.
            _ = PublishedTools.Directory;
            string filterdLog = Path.Combine(stack.LogDirectory, "filterd.log");
            string tools, config;
            cgroup?.Join();
            try
            {
                await stack.InitializeAsync();
                tools = await stack.ToolsDirectoryAsync(cancellationToken);
                string dir = Path.Combine(stack.TempDirectory, "fbench");
                await ProcessRunner.RunCheckedAsync("install", ["-d", "-m", "750", "-o", MailStack.PipeUser, "-g", MailStack.PipeUser, dir], ct: cancellationToken);
                config = Path.Combine(dir, "mailseal.conf");
                await File.WriteAllTextAsync(config, $"""
                    database = {database}
                    local_domains = {MailStack.Domain}
                    key_dir = {dir}

                    [pipe]
                    spam_check = false

                    [filterd]
                    spam_check = false
                    reinject = smtp:127.0.0.1:{filterdReinject}
                    max_sessions = {processes}

                    """, cancellationToken);
                await ProcessRunner.RunCheckedAsync("chown", [$"root:{MailStack.PipeUser}", config], ct: cancellationToken);
                File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
                filterd = StartFilterd(Path.Combine(tools, "mailseal-filterd"), config, filterdPort, filterdLog);
            }
            finally
            {
                cgroup?.Leave();
            }

            await WaitListeningAsync(filterdPort, filterd, filterdLog);

            // The pipe's own receiving smtpd, a copy of the harness's plain smtp listener; then both fragments as shipped.
            await ProcessRunner.RunCheckedAsync("postconf", ["-c", stack.PostfixConfigDirectory, "-M", $"127.0.0.1:{pipeListener}/inet=127.0.0.1:{pipeListener} inet n - n - - smtpd"], ct: cancellationToken);
            string sizeLimit = Math.Max(10_240_000, 2 * size).ToString(CultureInfo.InvariantCulture);
            string reinjectLimit = Math.Max(15_360_000, 3 * size).ToString(CultureInfo.InvariantCulture);
            await stack.ApplyPostfixFragmentAsync("postfix/mailseal-filterd.postconf", new Dictionary<string, string>
            {
                ["FILTERD_HOST"] = "127.0.0.1",
                ["FILTERD_PORT"] = filterdPort.ToString(CultureInfo.InvariantCulture),
                ["FILTERD_PROCESSES"] = processes.ToString(CultureInfo.InvariantCulture),
                ["REINJECT_SERVICE"] = $"127.0.0.1:{filterdReinject}",
                ["MESSAGE_SIZE_LIMIT"] = sizeLimit,
                ["REINJECT_SIZE_LIMIT"] = reinjectLimit,
            }, cancellationToken);
            await stack.ApplyPostfixFragmentAsync("postfix/mailseal-pipe.postconf", new Dictionary<string, string>
            {
                ["SMTP_SERVICE"] = $"127.0.0.1:{pipeListener}",
                ["MAILSEAL_PIPE"] = Path.Combine(tools, "mailseal-pipe"),
                ["MAILSEAL_CONF"] = config,
                ["PIPE_USER"] = MailStack.PipeUser,
                ["REINJECT_SERVICE"] = $"127.0.0.1:{pipeReinject}",
                ["MESSAGE_SIZE_LIMIT"] = sizeLimit,
                ["REINJECT_SIZE_LIMIT"] = reinjectLimit,
            }, cancellationToken);
            var check = await stack.PostfixCheckAsync(cancellationToken);
            if (check.ExitCode != 0 || check.StandardError.Trim().Length > 0)
                throw new InvalidOperationException($"postfix check after applying both fragments: {check.Output}");
            foreach (int port in new[] { pipeListener, filterdReinject, pipeReinject })
                await WaitForAsync(() => FreePorts.IsListening(port), TimeSpan.FromSeconds(60), $"Postfix listening on {port}");

            var filterdAccount = await stack.CreateAccountAsync($"fbench-filterd@{MailStack.Domain}", ct: cancellationToken);
            var pipeAccount = await stack.CreateAccountAsync($"fbench-pipe@{MailStack.Domain}", ct: cancellationToken);
            var contenders = new[]
            {
                new Side("mailseal-filterd", stack.SmtpPort, filterdAccount, stack),
                new Side("mailseal-pipe", pipeListener, pipeAccount, stack),
            };
            byte[] body = Body(size);
            output.WriteLine($"MailStack {stack.Id} ({stack.TempDirectory}): Postfix, Dovecot LMTP into Maildirs, PostgreSQL users table as the key store (pooled for filterd; one connection per process for the pipe)");
            output.WriteLine($"{count} messages of {OptionReader.FormatSize(size)} per contender and round over {clients} pipelined SMTP connections; 1 warm-up + {rounds} counted rounds, order turning; spam check off; filter transport process limit {processes} (filterd --max-sessions {processes}), pipe transport as shipped");
            output.WriteLine($"filterd: {Path.Combine(tools, "mailseal-filterd")}, pipe: {Path.Combine(tools, "mailseal-pipe")}");
            output.WriteLine(cgroup is null ? $"stack CPU: n/a ({noCgroup})" : "stack CPU: every server of the stack and filterd in a cgroup of their own (the benchmark's client is outside it)");
            output.WriteLine($"load average before: {LoadAverage.Read()} ({Environment.ProcessorCount} CPUs)");

            var result = await PairedRounds.RunAsync(
                contenders.Select(c => new Contender(c.Name, ct => c.MeasureAsync(count, clients, body, cgroup, roundLimit, ct))).ToArray(),
                rounds,
                rounds,
                TimeSpan.MaxValue,
                cancellationToken);
            output.WriteLine($"load average after: {LoadAverage.Read()}");

            foreach (var c in contenders)
                c.Verify();

            var table = new TextTable("contender", "messages", "median s", "msg/s", "best msg/s", "worst msg/s", "stack CPU ms/msg");
            foreach (var c in contenders)
            {
                table.Add(
                    c.Name,
                    (count * rounds).ToString(CultureInfo.InvariantCulture),
                    result.Median(c.Name).ToString("F2", CultureInfo.InvariantCulture),
                    (count / result.Median(c.Name)).ToString("F2", CultureInfo.InvariantCulture),
                    (count / result.Min(c.Name)).ToString("F2", CultureInfo.InvariantCulture),
                    (count / result.Percentile(c.Name, 1.0)).ToString("F2", CultureInfo.InvariantCulture),
                    c.CpuPerMessage is { } ms ? ms.ToString("F1", CultureInfo.InvariantCulture) : "n/a");
            }

            table.WriteTo(output);
            double ratio = result.Median("mailseal-pipe") / result.Median("mailseal-filterd");
            double paired = result.PairedRatio("mailseal-pipe", "mailseal-filterd");
            string cpuRatio = contenders[0].CpuPerMessage is { } f && contenders[1].CpuPerMessage is { } p ? $"; by stack CPU per message {p / f:F2}x" : string.Empty;
            output.WriteLine($"filterd / pipe, messages per second: {ratio:F2}x (paired {paired:F2}x){cpuRatio}");
            output.WriteLine($"every message checked: {contenders.Sum(c => c.Sent)} sent, each in its Maildir exactly once and encrypted");
            output.WriteLine($"goal (issue #13): filterd at least {GoalRatio:F0}x mailseal-pipe's throughput through Postfix, spam check off: {(Math.Min(ratio, paired) >= GoalRatio ? "met" : "NOT met")}");
            return 0;
        }
        finally
        {
            if (filterd is not null)
            {
                if (!filterd.HasExited)
                {
                    filterd.Kill();
                    await filterd.WaitForExitAsync(CancellationToken.None);
                }

                filterd.Dispose();
            }

            await stack.DisposeAsync();
            if (cgroup is not null)
                await cgroup.RemoveAsync();
        }
    }

    private static Process StartFilterd(string tool, string config, int port, string log)
    {
        // stderr (the journal on a server) to a log file; exec, so the pid is the daemon's
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >>\"$MAILSEAL_BENCH_LOG\" 2>&1");
        foreach (string a in new[] { tool, "--config", config, "--listen", $"inet:127.0.0.1:{port}" })
            psi.ArgumentList.Add(a);
        psi.Environment["MAILSEAL_BENCH_LOG"] = log;
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start mailseal-filterd");
    }

    private static async Task WaitListeningAsync(int port, Process filterd, string log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!FreePorts.IsListening(port))
        {
            if (filterd.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"mailseal-filterd did not listen on {port}: {(File.Exists(log) ? File.ReadAllText(log) : string.Empty)}");
            await Task.Delay(50);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"timed out after {limit.TotalSeconds} s waiting for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>About <paramref name="size"/> bytes of text lines (CRLF, none starting with a dot), with the plaintext marker.</summary>
    private static byte[] Body(long size)
    {
        var sb = new StringBuilder();
        for (int i = 0; sb.Length < size; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{Marker} line {i:D6}: the quick brown fox jumps over the lazy dog\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>One contender: its receiving smtpd, its mailbox, what it was sent and what its rounds cost.</summary>
    private sealed class Side(string name, int port, MailAccount account, MailStack stack)
    {
        private readonly List<double> _cpuPerMessage = [];
        private int _next;

        public string Name { get; } = name;

        public int Sent => _next;

        /// <summary>The median over rounds of the stack's CPU time per message (ms), warm-up excluded; null without a cgroup.</summary>
        public double? CpuPerMessage
        {
            get
            {
                if (_cpuPerMessage.Count <= 1)
                    return null;
                var sorted = _cpuPerMessage.Skip(1).Order().ToArray();
                return sorted[sorted.Length / 2];
            }
        }

        private string Maildir => Path.Combine(stack.MailRoot, account.Maildir, "Maildir");

        /// <summary>Sends <paramref name="count"/> messages and returns the seconds until all are in the Maildir and the queue is empty.</summary>
        public async Task<double> MeasureAsync(int count, int clients, byte[] body, CpuCgroup? cgroup, TimeSpan limit, CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(limit);
            int first = _next;
            _next += count;
            int before = Stored();
            var cpuBefore = cgroup?.Usage();
            var clock = Stopwatch.StartNew();
            await SmtpLoad.SendAsync(port, count, clients, i => (account.Email, Message(first + i, body)), timeout.Token);
            try
            {
                while (true)
                {
                    int arrived = Stored() - before;
                    if (arrived > count)
                        throw new InvalidOperationException($"{Name}: {arrived} messages arrived for {count} sent");
                    if (arrived == count && (await stack.GetQueueAsync(timeout.Token)).Count == 0)
                        break;
                    await Task.Delay(20, timeout.Token);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new InvalidOperationException($"{Name}: {Stored() - before} of {count} messages delivered within {limit.TotalSeconds} s; see {stack.LogDirectory}");
            }

            double seconds = clock.Elapsed.TotalSeconds;
            if (cgroup?.Usage() is { } cpuAfter && cpuBefore is { } b)
                _cpuPerMessage.Add((cpuAfter - b).TotalMilliseconds / count);
            return seconds;
        }

        /// <summary>Every message sent is in the Maildir exactly once, as PGP/MIME, its plaintext nowhere in it.</summary>
        public void Verify()
        {
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (string file in Files())
            {
                string text = File.ReadAllText(file, Encoding.Latin1);
                if (!text.Contains("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal) || text.Contains(Marker, StringComparison.Ordinal))
                    throw new InvalidOperationException($"{Name}: {file} is not encrypted");
                var subject = SubjectLine.Match(text);
                if (!subject.Success)
                    throw new InvalidOperationException($"{Name}: {file} has no benchmark subject");
                seen[subject.Groups[1].Value] = seen.GetValueOrDefault(subject.Groups[1].Value) + 1;
            }

            var wrong = Enumerable.Range(0, _next).Select(Subject).Where(s => seen.GetValueOrDefault(s) != 1).ToList();
            if (wrong.Count > 0 || seen.Count != _next)
                throw new InvalidOperationException($"{Name}: {wrong.Count} of {_next} messages not delivered exactly once (e.g. {string.Join(", ", wrong.Take(5).Select(s => $"{s}: {seen.GetValueOrDefault(s)}"))}); {seen.Count} distinct in the Maildir");
        }

        private string Subject(int i) => string.Create(CultureInfo.InvariantCulture, $"fbench {Name} {i:D6}");

        private byte[] Message(int i, byte[] body)
        {
            byte[] header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"From: <sender@example.org>\r\nTo: <{account.Email}>\r\nSubject: {Subject(i)}\r\nMessage-ID: <{Guid.NewGuid():N}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"));
            return [.. header, .. body];
        }

        private int Stored() => Files().Count();

        private IEnumerable<string> Files() =>
            new[] { "new", "cur" }.Select(d => Path.Combine(Maildir, d)).Where(Directory.Exists).SelectMany(Directory.EnumerateFiles);
    }
}
