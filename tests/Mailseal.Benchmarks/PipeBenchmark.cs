using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>pipe</c>: messages per second through a real, private Postfix instance on loopback with
/// mailseal-pipe as the content_filter, against the same Postfix with the tutorial's shell
/// wrapper (<c>spamc | gpg --encrypt | sendmail</c>, written here as a test-only script) as the
/// content_filter, in the same run: one smtpd listener per contender, the copies discarded after
/// the queue. mailseal-pipe runs twice: re-injecting over SMTP to a loopback smtpd without
/// content_filter (postfix/mailseal-pipe.postconf's listener) and through <c>sendmail -bs</c>.
/// Every contender runs with the spam check on (the same spamd) and off (mailseal-pipe
/// <c>--spam-check false</c>, the wrapper without spamc), so what the pipe itself costs shows.
/// All encrypt to the same Curve25519 key. Rounds alternate (and rotate their order), so a change
/// in the shared machine's load hits every contender alike; the load average is printed beside
/// the figures, and the CPU time the whole private stack (Postfix, spamd, the filters) spent per
/// message, read from a cgroup of its own, which other work on the machine does not move.
/// With <c>--gpgit PATH</c> the tutorial's own filter runs too, as its gpgit_postfix.sh has it
/// (<c>spamc | gpgit.pl "$4" | sendmail "$@"</c>, gpgit.pl from its public repository; not
/// packaged, so not run without it): the script an admin replaces, where the gpg stand-in is
/// the cheapest wrapper one could write.
/// Needs root (Postfix's master, the pipe user <c>mailseal</c>) and a published mailseal-pipe
/// (<c>--tool</c>, else published here).
/// </summary>
public sealed class PipeBenchmark : IBenchmarkCommand
{
    private const string PipeUser = "mailseal";
    private const string Domain = "bench.test";
    private const int Rounds = 3;
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(3);

    /// <inheritdoc />
    public string Name => "pipe";

    /// <inheritdoc />
    public string Description => "messages/s through real Postfix: mailseal-pipe (SMTP and sendmail -bs re-injection) vs the spamc | gpg | sendmail wrapper (and the tutorial's spamc | gpgit | sendmail with --gpgit), spam check on and off";

    /// <inheritdoc />
    public string Usage =>
        "  --messages N         messages per contender and spam setting, in 3 alternating rounds (default 30, 3..500)\n" +
        "  --size BYTES         body size (default 10K, up to 5M)\n" +
        "  --seconds S          time limit per round of one contender (default 120, 5..600)\n" +
        "  --spam on|off|both   with spamd, without, or both (default both)\n" +
        "  --reinject smtp|sendmail-bs|both   mailseal-pipe's re-injection routes to run (default both)\n" +
        "  --tool PATH          a mailseal-pipe (default: the native one tools/publish.sh builds in artifacts/bin)\n" +
        "  --gpgit PATH         also run the tutorial's spamc | gpgit.pl | sendmail (a copy of gpgit.pl from its public\n" +
        "                       repository; Perl modules libmail-gnupg-perl, libmime-tools-perl)";

    /// <inheritdoc />
    public bool IsBenchmark => true;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var options = new OptionReader(args, ["--messages", "--size", "--seconds", "--spam", "--reinject", "--tool", "--gpgit"], []);
        var toolPath = options.Text("--tool");
        var gpgit = options.Text("--gpgit");
        if (gpgit is not null && !File.Exists(gpgit))
            throw new UsageException($"--gpgit {gpgit}: no such file");
        var count = (int)options.Number("--messages", 30, Rounds, 500);
        var size = options.Sizes("--size", [10 * 1024], 5L * 1024 * 1024)[0];
        var limit = TimeSpan.FromSeconds(options.Number("--seconds", 120, 5, 600));
        var spamModes = Choice(options, "--spam", ["on", "off", "both"]) switch
        {
            "on" => new[] { true },
            "off" => [false],
            _ => [true, false],
        };
        var routes = Choice(options, "--reinject", ["smtp", "sendmail-bs", "both"]);
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
            throw new InvalidOperationException("the pipe benchmark runs Postfix's master and a pipe user: run it as root");

        var contenders = new List<Contender>();
        foreach (var spam in spamModes)
        {
            if (routes is "smtp" or "both")
                contenders.Add(new Contender(Kind.MailsealSmtp, spam));
            if (routes is "sendmail-bs" or "both")
                contenders.Add(new Contender(Kind.MailsealSendmail, spam));
            contenders.Add(new Contender(Kind.Wrapper, spam));
            if (gpgit is not null)
                contenders.Add(new Contender(Kind.Gpgit, spam));
        }

        var root = Path.Combine("/tmp", "mailseal-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var bench = new Instance(root, contenders);
        try
        {
            var tool = toolPath ?? PublishedTools.Path("mailseal-pipe");
            await bench.SetUpAsync(tool, gpgit, cancellationToken);
            output.WriteLine($"Postfix {root}: {count} message(s) of {OptionReader.FormatSize(size)} per contender and spam setting, in {Rounds} alternating rounds; encryption to one cv25519 key");
            output.WriteLine($"mailseal-pipe: {tool}");
            output.WriteLine($"load average before: {LoadAverage.Read()} ({Environment.ProcessorCount} CPUs)");
            var body = Body(size);
            // warm-up: one message each (page cache, spamd's first scan, gpg's first start)
            foreach (var c in contenders)
                await bench.MeasureAsync(c, warmUp: true, 1, body, limit, cancellationToken);
            for (var round = 0; round < Rounds; round++)
            {
                var n = (count / Rounds) + (round < count % Rounds ? 1 : 0);
                // rotate the order each round, so no contender always follows the same one
                foreach (var c in contenders.Skip(round % contenders.Count).Concat(contenders.Take(round % contenders.Count)))
                    await bench.MeasureAsync(c, warmUp: false, n, body, limit, cancellationToken);
            }

            foreach (var spam in spamModes)
            {
                output.WriteLine();
                output.WriteLine(spam ? "spam check on (the same spamd for all):" : "spam check off (mailseal-pipe --spam-check false; the wrapper without spamc):");
                var wrapper = contenders.Single(c => c.Spam == spam && c.Kind == Kind.Wrapper);
                var tutorial = contenders.SingleOrDefault(c => c.Spam == spam && c.Kind == Kind.Gpgit);
                var table = tutorial is null
                    ? new TextTable("contender", "messages", "seconds", "msg/s", "vs wrapper", "paired", "stack CPU ms/msg")
                    : new TextTable("contender", "messages", "seconds", "msg/s", "vs wrapper", "paired", "vs gpgit wrapper", "paired", "stack CPU ms/msg");
                foreach (var c in contenders.Where(c => c.Spam == spam))
                {
                    var cells = new List<string>
                    {
                        c.Title,
                        c.Messages.ToString(CultureInfo.InvariantCulture),
                        c.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
                        c.PerSecond.ToString("F2", CultureInfo.InvariantCulture),
                        (c.PerSecond / wrapper.PerSecond).ToString("F2", CultureInfo.InvariantCulture) + "x",
                        c.PairedRatio(wrapper).ToString("F2", CultureInfo.InvariantCulture) + "x",
                    };
                    if (tutorial is not null)
                    {
                        cells.Add((c.PerSecond / tutorial.PerSecond).ToString("F2", CultureInfo.InvariantCulture) + "x");
                        cells.Add(c.PairedRatio(tutorial).ToString("F2", CultureInfo.InvariantCulture) + "x");
                    }
                    cells.Add(c.Cpu is { } cpu ? (cpu.TotalMilliseconds / c.Messages).ToString("F1", CultureInfo.InvariantCulture) : "n/a");
                    table.Add([.. cells]);
                }

                table.WriteTo(output);
            }

            output.WriteLine();
            output.WriteLine($"load average after: {LoadAverage.Read()}");
            output.WriteLine("paired: the median over the rounds of (its msg/s / the other's msg/s in the same round)");
            output.WriteLine(bench.CpuAccounting
                ? "stack CPU ms/msg: CPU time of the whole private stack (smtpd, cleanup, qmgr, pipe, the filter and what it starts, spamd) per message, from its own cgroup"
                : "stack CPU ms/msg: n/a (no cgroup cpuacct or cgroup v2 hierarchy writable here)");
            return 0;
        }
        finally
        {
            await bench.TearDownAsync();
        }
    }

    private static string Choice(OptionReader options, string name, string[] allowed)
    {
        var value = options.Text(name) ?? allowed[^1];
        return allowed.Contains(value, StringComparer.Ordinal) ? value : throw new UsageException($"{name} must be one of {string.Join(", ", allowed)}, not '{value}'");
    }

    private static string Body(long size)
    {
        var sb = new StringBuilder();
        var line = "The quick brown fox jumps over the lazy dog, again and again, line ";
        for (var i = 0; sb.Length < size; i++)
            sb.Append(line).Append(i.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        return sb.ToString();
    }

    private enum Kind
    {
        MailsealSmtp,
        MailsealSendmail,
        Wrapper,
        Gpgit,
    }

    /// <summary>One contender with one spam setting, and what it measured.</summary>
    private sealed class Contender(Kind kind, bool spam)
    {
        public Kind Kind { get; } = kind;

        public bool Spam { get; } = spam;

        /// <summary>The master.cf service (and the recipient's local part).</summary>
        public string Service => (Kind switch
        {
            Kind.MailsealSmtp => "ms-smtp",
            Kind.MailsealSendmail => "ms-bs",
            Kind.Gpgit => "gpgit",
            _ => "wrapper",
        }) + (Spam ? string.Empty : "-nospam");

        public string Title => Kind switch
        {
            Kind.MailsealSmtp => "mailseal-pipe, SMTP re-injection",
            Kind.MailsealSendmail => "mailseal-pipe, sendmail -bs",
            Kind.Gpgit => Spam ? "spamc|gpgit.pl|sendmail (the tutorial's)" : "gpgit.pl|sendmail (the tutorial's)",
            _ => Spam ? "spamc|gpg|sendmail wrapper" : "gpg|sendmail wrapper",
        };

        public int Port { get; set; }

        public int Messages { get; set; }

        public TimeSpan Elapsed { get; set; }

        public TimeSpan? Cpu { get; set; }

        public double PerSecond => Messages / Elapsed.TotalSeconds;

        /// <summary>Messages per second of each measured round, in order.</summary>
        public List<double> RoundRates { get; } = [];

        /// <summary>The median over rounds of this contender's msg/s over <paramref name="other"/>'s in the same round.</summary>
        public double PairedRatio(Contender other) =>
            Statistics.Median(RoundRates.Zip(other.RoundRates, (mine, theirs) => mine / theirs));
    }

    /// <summary>One private Postfix instance, spamd and key material under a temp directory.</summary>
    private sealed class Instance(string root, IReadOnlyList<Contender> contenders)
    {
        private readonly string _etc = Path.Combine(root, "etc", "postfix");
        private CpuCgroup? _cgroup;
        private int _spamdPort;
        private int _reinjectPort;
        private bool _postfixStarted;
        private bool _alternateAdded;
        private LogWatcher? _log;

        public bool CpuAccounting { get; private set; }

        private string Log => Path.Combine(root, "log", "postfix.log");

        public async Task SetUpAsync(string tool, string? gpgit, CancellationToken ct)
        {
            foreach (var c in contenders)
                c.Port = FreePort();
            _spamdPort = FreePort();
            _reinjectPort = FreePort();
            var gnupg = Path.Combine(root, "gnupg");
            await Sh($"""
                set -e
                getent passwd {PipeUser} >/dev/null || useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin {PipeUser}
                install -d -m 755 '{root}' '{root}/etc' '{_etc}' '{root}/log' '{root}/keys' '{root}/spool' '{root}/run'
                install -d -m 750 -o postfix -g postfix '{root}/data'
                install -d -m 700 -o {PipeUser} -g {PipeUser} '{gnupg}'
                chmod -R a+rX "$(dirname '{tool}')"
                """, ct);
            var g = $"gpg --homedir '{gnupg}' --batch --quiet --no-tty --passphrase '' --pinentry-mode loopback";
            var copies = string.Join('\n', contenders.Select(c => $"cp '{root}/keys/key.asc' '{root}/keys/{c.Service}@{Domain}.asc'; cp '{root}/keys/key.asc' '{root}/keys/warm-{c.Service}@{Domain}.asc'"));
            var fpr = (await Sh($$"""
                set -e
                runuser -u {{PipeUser}} -- {{g}} --quick-gen-key '<bench@{{Domain}}>' ed25519 cert never
                f=$(runuser -u {{PipeUser}} -- {{g}} --with-colons --list-keys | awk -F: '/^fpr:/ { print $10; exit }')
                runuser -u {{PipeUser}} -- {{g}} --quick-add-key "$f" cv25519 encr never
                runuser -u {{PipeUser}} -- {{g}} --armor --export "$f" > '{{root}}/keys/key.asc'
                {{copies}}
                chmod 644 '{{root}}/keys/'*.asc
                echo "$f"
                """, ct)).Trim();

            // the tutorial's wrapper, with gpg in place of gpgit.pl: spamc | encrypt the body | sendmail;
            // without the spam check the same script minus spamc
            foreach (var spam in new[] { true, false })
            {
                var script = Path.Combine(root, spam ? "wrapper.sh" : "wrapper-nospam.sh");
                var first = spam ? $"spamc -d 127.0.0.1 -p {_spamdPort}" : "cat";
                await File.WriteAllTextAsync(script, $$"""
                    #!/bin/bash
                    # Test-only stand-in for the tutorial's filter: spamc | gpg | sendmail "$@".
                    # argv: -oi -f SENDER RECIPIENT
                    {{first}} | {
                      header=""
                      while IFS= read -r line && [ -n "${line%$'\r'}" ]; do header+="$line"$'\n'; done
                      printf '%s\n' "$header"
                      gpg --homedir '{{gnupg}}' --batch --quiet --no-tty --trust-model always --armor --encrypt -r '{{fpr}}'
                    } | /usr/sbin/sendmail -C '{{_etc}}' "$@"
                    exit ${PIPESTATUS[2]}

                    """, ct);
                File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
            }

            if (gpgit is not null)
                await WriteGpgitWrappersAsync(gpgit, gnupg, g, fpr, ct);

            var conf = Path.Combine(root, "mailseal.conf");
            await File.WriteAllTextAsync(conf, $"""
                key_dir = {root}/keys
                local_domains = {Domain}

                [pipe]
                spamd = inet:127.0.0.1:{_spamdPort}
                postfix_config = {_etc}

                """, ct);
            File.SetUnixFileMode(conf, (UnixFileMode)0b110_100_100);

            var limits = string.Join('\n', contenders.Select(c => $"{c.Service}_destination_recipient_limit = 1"));
            await File.WriteAllTextAsync(Path.Combine(_etc, "main.cf"), $$"""
                compatibility_level = 3.6
                queue_directory = {{root}}/spool
                data_directory = {{root}}/data
                maillog_file = {{Log}}
                maillog_file_prefixes = /var, /dev/stdout, {{root}}/log
                myhostname = bench.localhost
                mydestination =
                inet_interfaces = 127.0.0.1
                inet_protocols = ipv4
                mynetworks = 127.0.0.0/8
                alias_maps =
                alias_database =
                relay_domains = {{Domain}}
                transport_maps = inline:{ {{Domain}}=discard:delivered }
                smtpd_relay_restrictions = permit_mynetworks, reject
                queue_run_delay = 2s
                minimal_backoff_time = 2s
                maximal_backoff_time = 4s
                {{limits}}

                """, ct);
            var listeners = string.Join('\n', contenders.Select(c => $"127.0.0.1:{c.Port} inet n - n - - smtpd -o content_filter={c.Service}:dummy"));
            var services = string.Join('\n', contenders.Select(c =>
            {
                var noSpam = c.Spam ? string.Empty : " --spam-check false";
                return c.Kind switch
                {
                    Kind.MailsealSmtp => $"{c.Service} unix - n n - - pipe flags=Rq user={PipeUser} argv={tool} --config {conf}{noSpam} --reinject smtp --reinject-smtp inet:127.0.0.1:{_reinjectPort} -q ${{queue_id}} -f ${{sender}} -- ${{recipient}}",
                    Kind.MailsealSendmail => $"{c.Service} unix - n n - - pipe flags=Rq user={PipeUser} argv={tool} --config {conf}{noSpam} -q ${{queue_id}} -f ${{sender}} -- ${{recipient}}",
                    Kind.Gpgit => $"{c.Service} unix - n n - - pipe flags=Rq user={PipeUser} argv={root}/{(c.Spam ? "gpgit.sh" : "gpgit-nospam.sh")} -oi -f ${{sender}} ${{recipient}}",
                    _ => $"{c.Service} unix - n n - - pipe flags=Rq user={PipeUser} argv={root}/{(c.Spam ? "wrapper.sh" : "wrapper-nospam.sh")} -oi -f ${{sender}} ${{recipient}}",
                };
            }));
            await File.WriteAllTextAsync(Path.Combine(_etc, "master.cf"), $$"""
                {{listeners}}
                # the re-injection listener, as postfix/mailseal-pipe.postconf defines it
                127.0.0.1:{{_reinjectPort}} inet n - n - - smtpd -o content_filter= -o syslog_name=postfix/reinject -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks -o smtpd_helo_restrictions= -o smtpd_client_restrictions= -o smtpd_sender_restrictions= -o smtpd_relay_restrictions= -o smtpd_recipient_restrictions=permit_mynetworks,reject -o smtpd_data_restrictions= -o smtpd_end_of_data_restrictions= -o mynetworks=127.0.0.0/8 -o smtpd_tls_security_level=none
                pickup     unix  n       -       n       60      1       pickup
                cleanup    unix  n       -       n       -       0       cleanup
                qmgr       unix  n       -       n       300     1       qmgr
                rewrite    unix  -       -       n       -       -       trivial-rewrite
                bounce     unix  -       -       n       -       0       bounce
                defer      unix  -       -       n       -       0       bounce
                trace      unix  -       -       n       -       0       bounce
                verify     unix  -       -       n       -       1       verify
                flush      unix  n       -       n       1000?   0       flush
                proxymap   unix  -       -       n       -       -       proxymap
                showq      unix  n       -       n       -       -       showq
                error      unix  -       -       n       -       -       error
                retry      unix  -       -       n       -       -       error
                discard    unix  -       -       n       -       -       discard
                anvil      unix  -       -       n       -       1       anvil
                scache     unix  -       -       n       -       1       scache
                postlog    unix-dgram n  -       n       -       1       postlogd
                {{services}}

                """, ct);

            // postdrop accepts a private config dir only when /etc/postfix/main.cf lists it (NOTES.md pitfall 1);
            // the same machine-wide lock as the end-to-end harness guards that line
            using (await LockAsync(ct))
            {
                await Sh($$"""
                    set -e
                    [ -f /etc/postfix/main.cf ] || { mkdir -p /etc/postfix; echo 'compatibility_level = 3.6' > /etc/postfix/main.cf; }
                    cur=$(postconf -c /etc/postfix -h alternate_config_directories)
                    postconf -c /etc/postfix -e "alternate_config_directories = ${cur:+$cur, }{{_etc}}"
                    """, ct);
                _alternateAdded = true;
            }

            // a cgroup of its own for everything the stack runs, so its CPU time can be read
            _cgroup = CpuCgroup.TryCreate(Path.GetFileName(root)).Group;
            CpuAccounting = _cgroup is not null;
            var join = _cgroup is not null ? $"echo $$ > '{_cgroup.ProcsFile}'" : ":";
            await Sh($"""
                set -e
                {join}
                spamd --daemonize --listen=127.0.0.1:{_spamdPort} --pidfile='{root}/run/spamd.pid' --username=debian-spamd --max-children=2 --min-children=2 --syslog='{root}/log/spamd.log' --nouser-config --helper-home-dir=/var/lib/spamassassin
                touch -d '-1 min' '{_etc}/main.cf' '{_etc}/master.cf'
                postfix -c '{_etc}' start
                """, ct);
            _postfixStarted = true;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!(contenders.All(c => Listening(c.Port)) && Listening(_spamdPort) && Listening(_reinjectPort)))
            {
                if (DateTime.UtcNow > deadline)
                    throw new InvalidOperationException($"Postfix or spamd did not listen within 60 s (see {root}/log)");
                await Task.Delay(100, ct);
            }

            _log = new LogWatcher(Log);
        }

        /// <summary>
        /// The tutorial's gpgit_postfix.sh (spamc | gpgit.pl "$4" | sendmail "$@", pipefail), and
        /// the same without spamc; gpgit.pl copied where the pipe user can read it, its keyring the
        /// benchmark's, with a user ID per address it is sent to (gpgit finds keys by the
        /// recipient's address). gpgit passes mail through unchanged when it finds no key, so one
        /// message is encrypted by hand first and must come out as a PGP message. g is the gpg
        /// command line the set-up uses for that keyring.
        /// </summary>
        private async Task WriteGpgitWrappersAsync(string gpgit, string gnupg, string g, string fpr, CancellationToken ct)
        {
            var uids = contenders.Where(c => c.Kind == Kind.Gpgit).SelectMany(c => new[] { c.Service, "warm-" + c.Service })
                .Select(local => $"runuser -u {PipeUser} -- {g} --quick-add-uid '{fpr}' '<{local}@{Domain}>'");
            await Sh("set -e\n" + string.Join('\n', uids), ct);
            var copy = Path.Combine(root, "gpgit.pl");
            File.Copy(gpgit, copy, overwrite: true);
            File.SetUnixFileMode(copy, (UnixFileMode)0b111_101_101);
            foreach (var spam in new[] { true, false })
            {
                var script = Path.Combine(root, spam ? "gpgit.sh" : "gpgit-nospam.sh");
                var first = spam ? $"spamc -d 127.0.0.1 -p {_spamdPort} | " : string.Empty;
                await File.WriteAllTextAsync(script, $$"""
                    #!/bin/bash
                    # The tutorial's /var/opt/gpgit/gpgit_postfix.sh (argv: -oi -f SENDER RECIPIENT),
                    # with the benchmark's keyring and Postfix instance.
                    export GNUPGHOME='{{gnupg}}'
                    set -o pipefail
                    {{first}}perl '{{copy}}' "$4" | /usr/sbin/sendmail -C '{{_etc}}' "$@"
                    exit $?

                    """, ct);
                File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
            }

            var check = await Sh($"""
                printf 'From: <sender@example.org>\nTo: <warm-gpgit@{Domain}>\nSubject: check\n\nhello\n' | runuser -u {PipeUser} -- env GNUPGHOME='{gnupg}' perl '{copy}' 'warm-gpgit@{Domain}' 2>&1
                """, ct);
            if (!check.Contains("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal))
                throw new InvalidOperationException("gpgit.pl did not encrypt a test message to the benchmark key (missing Perl modules? libmail-gnupg-perl, libmime-tools-perl): " + check.Trim());
        }

        /// <summary>Sends <paramref name="count"/> messages in one SMTP session and waits until all are delivered.</summary>
        public async Task MeasureAsync(Contender contender, bool warmUp, int count, string body, TimeSpan limit, CancellationToken ct)
        {
            var rcpt = $"{(warmUp ? "warm-" : string.Empty)}{contender.Service}@{Domain}";
            var before = _log!.Delivered(rcpt);
            var cpuBefore = CpuUsage();
            var sw = Stopwatch.StartNew();
            using (var tcp = new TcpClient())
            {
                await tcp.ConnectAsync(IPAddress.Loopback, contender.Port, ct);
                var s = tcp.GetStream();
                var reader = new StreamReader(s, Encoding.ASCII);
                await ExpectAsync(reader, null, s, "2", ct);
                await ExpectAsync(reader, "EHLO bench.localhost", s, "2", ct);
                for (var i = 0; i < count; i++)
                {
                    await ExpectAsync(reader, "MAIL FROM:<sender@example.org>", s, "2", ct);
                    await ExpectAsync(reader, $"RCPT TO:<{rcpt}>", s, "2", ct);
                    await ExpectAsync(reader, "DATA", s, "3", ct);
                    var msg = $"From: <sender@example.org>\r\nTo: <{rcpt}>\r\nSubject: bench {i}\r\nMessage-ID: <{Guid.NewGuid():N}@example.org>\r\n\r\n{body}.\r\n";
                    await ExpectAsync(reader, msg.TrimEnd('\r', '\n'), s, "2", ct);
                }

                await ExpectAsync(reader, "QUIT", s, "2", ct);
            }

            while (_log.Delivered(rcpt) - before < count)
            {
                if (sw.Elapsed > limit)
                    throw new InvalidOperationException($"{rcpt}: {_log.Delivered(rcpt) - before} of {count} delivered within {limit.TotalSeconds} s; see {Log}");
                if (_log.Failed(rcpt))
                    throw new InvalidOperationException($"{rcpt}: a delivery was deferred or bounced; see {Log}");
                await Task.Delay(20, ct);
            }

            var elapsed = sw.Elapsed;
            var cpuAfter = CpuUsage();
            if (warmUp)
                return;
            contender.Messages += count;
            contender.Elapsed += elapsed;
            contender.RoundRates.Add(count / elapsed.TotalSeconds);
            contender.Cpu = cpuBefore is { } b && cpuAfter is { } a ? (contender.Cpu ?? TimeSpan.Zero) + (a - b) : null;
        }

        public async Task TearDownAsync()
        {
            if (_postfixStarted)
                await Sh($"postfix -c '{_etc}' stop || true", CancellationToken.None);
            await Sh($"[ -f '{root}/run/spamd.pid' ] && kill $(cat '{root}/run/spamd.pid') 2>/dev/null; gpgconf --homedir '{root}/gnupg' --kill gpg-agent 2>/dev/null; true", CancellationToken.None);
            if (_alternateAdded)
            {
                using (await LockAsync(CancellationToken.None))
                {
                    await Sh($"""
                        cur=$(postconf -c /etc/postfix -h alternate_config_directories)
                        new=$(printf '%s' "$cur" | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -vxF '{_etc}' | paste -sd, - | sed 's/,/, /g')
                        postconf -c /etc/postfix -e "alternate_config_directories = $new"
                        """, CancellationToken.None);
                }
            }

            await Task.Delay(500);
            if (_cgroup is not null)
                await _cgroup.RemoveAsync(); // the group empties once the last daemon has exited

            await Sh($"rm -rf '{root}'", CancellationToken.None);
        }

        /// <summary>CPU time used by the stack's cgroup so far, or null without one.</summary>
        private TimeSpan? CpuUsage() => _cgroup?.Usage();

        private static async Task ExpectAsync(StreamReader reader, string? send, Stream s, string code, CancellationToken ct)
        {
            if (send is not null)
            {
                await s.WriteAsync(Encoding.ASCII.GetBytes(send + "\r\n"), ct);
            }

            string? line;
            do
            {
                line = await reader.ReadLineAsync(ct).AsTask().WaitAsync(Step, ct) ?? throw new IOException("the smtpd closed the connection");
            }
            while (line.Length > 3 && line[3] == '-');
            if (!line.StartsWith(code, StringComparison.Ordinal))
                throw new InvalidOperationException($"smtpd answered '{line}'");
        }

        private static async Task<StreamLock> LockAsync(CancellationToken ct)
        {
            Directory.CreateDirectory("/tmp/mailseal-e2e");
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (true)
            {
                try
                {
                    return new StreamLock(new FileStream("/tmp/mailseal-e2e/lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50, ct);
                }
            }
        }

        private static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            var port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        private static bool Listening(int port)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }

        private static async Task<string> Sh(string script, CancellationToken ct)
        {
            var r = await ProcessRunner.RunAsync(new ProcessRequest("/bin/bash", ["-c", script]) { Timeout = Step }, ct);
            return r.Succeeded ? Encoding.UTF8.GetString(r.Stdout) : throw new InvalidOperationException($"setup step failed: {r.Describe()}");
        }
    }

    /// <summary>
    /// Follows postfix.log from where it last stopped (re-reading the whole log every few
    /// milliseconds would itself load the machine the benchmark measures), counting per recipient
    /// the deliveries and the deferrals or bounces.
    /// </summary>
    private sealed class LogWatcher(string path)
    {
        private readonly Dictionary<string, int> _delivered = new(StringComparer.Ordinal);
        private readonly HashSet<string> _failed = new(StringComparer.Ordinal);
        private long _offset;
        private string _partial = string.Empty;

        public int Delivered(string rcpt)
        {
            Read();
            return _delivered.GetValueOrDefault(rcpt);
        }

        public bool Failed(string rcpt)
        {
            Read();
            return _failed.Contains(rcpt);
        }

        private void Read()
        {
            if (!File.Exists(path))
                return;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length <= _offset)
                return;
            stream.Seek(_offset, SeekOrigin.Begin);
            var bytes = new byte[stream.Length - _offset];
            stream.ReadExactly(bytes);
            _offset += bytes.Length;
            var text = _partial + Encoding.Latin1.GetString(bytes);
            var end = text.LastIndexOf('\n');
            _partial = end < 0 ? text : text[(end + 1)..];
            if (end < 0)
                return;
            foreach (var line in text[..end].Split('\n'))
            {
                var to = line.IndexOf("to=<", StringComparison.Ordinal);
                if (to < 0)
                    continue;
                var close = line.IndexOf('>', to);
                if (close < 0)
                    continue;
                var rcpt = line[(to + 4)..close];
                if (line.Contains("relay=none", StringComparison.Ordinal) && line.Contains("status=sent", StringComparison.Ordinal))
                    _delivered[rcpt] = _delivered.GetValueOrDefault(rcpt) + 1;
                else if (line.Contains("status=bounced", StringComparison.Ordinal) || line.Contains("status=deferred", StringComparison.Ordinal))
                    _failed.Add(rcpt);
            }
        }
    }

    /// <summary>Holds the machine-wide lock file open.</summary>
    private sealed class StreamLock(FileStream stream) : IDisposable
    {
        public void Dispose() => stream.Dispose();
    }
}
