using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;
using Mailseal.Core.Tests.OpenPgp.Interop;

namespace Mailseal.Benchmarks;

/// <summary>
/// <c>pipe</c>: messages per second through a real, private Postfix instance on loopback with
/// mailseal-pipe as the content_filter, against the same Postfix with the tutorial's shell
/// wrapper (<c>spamc | gpg --encrypt | sendmail</c>, written here as a test-only script) as the
/// content_filter, in the same run: one smtpd listener per contender, both re-injecting through
/// <c>sendmail -bs</c>/<c>sendmail</c> into pickup, the copies discarded after the queue. Both ask
/// the same spamd and encrypt to the same Curve25519 key. Needs root (Postfix's master, the pipe
/// user <c>mailseal</c>) and a published mailseal-pipe (<c>--tool</c>, else published here).
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
    public string Description => "messages/s through real Postfix: mailseal-pipe vs the tutorial's spamc | gpg | sendmail wrapper";

    /// <inheritdoc />
    public string Usage =>
        "  --messages N         messages per contender, in 3 alternating rounds (default 30, 1..500)\n" +
        "  --size BYTES         body size (default 10K, up to 5M)\n" +
        "  --seconds S          time limit per contender (default 120, 5..600)\n" +
        "  --tool PATH          a mailseal-pipe (default: the native one tools/publish.sh builds in artifacts/bin)";

    /// <inheritdoc />
    public bool IsBenchmark => true;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var rest = args.ToList();
        string? toolPath = null;
        var at = rest.IndexOf("--tool");
        if (at >= 0)
        {
            toolPath = at + 1 < rest.Count ? rest[at + 1] : throw new UsageException("--tool needs a value");
            rest.RemoveRange(at, 2);
        }

        var options = new OptionReader(rest, ["--messages", "--size", "--seconds"], []);
        var count = (int)options.Number("--messages", 30, 1, 500);
        var size = options.Sizes("--size", [10 * 1024], 5L * 1024 * 1024)[0];
        var limit = TimeSpan.FromSeconds(options.Number("--seconds", 120, 5, 600));
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
            throw new InvalidOperationException("the pipe benchmark runs Postfix's master and a pipe user: run it as root");

        var root = Path.Combine("/tmp", "mailseal-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var bench = new Instance(root);
        try
        {
            var tool = toolPath ?? PublishedTools.Path("mailseal-pipe");
            await bench.SetUpAsync(tool, cancellationToken);
            output.WriteLine($"Postfix {root}: {count} message(s) of {OptionReader.FormatSize(size)} per contender, spamd + encryption to one cv25519 key, re-injected through sendmail");
            var body = Body(size);
            // warm-up: one message each (JIT, spamd's first scan, gpg-agent-less gpg start-up)
            await bench.MeasureAsync(bench.MailsealPort, "warm-m", 1, body, limit, cancellationToken);
            await bench.MeasureAsync(bench.TutorialPort, "warm-t", 1, body, limit, cancellationToken);
            // three alternating rounds, so a change in the shared machine's load hits both contenders alike
            var mailseal = TimeSpan.Zero;
            var tutorial = TimeSpan.Zero;
            for (var round = 0; round < Rounds; round++)
            {
                var n = (count / Rounds) + (round < count % Rounds ? 1 : 0);
                if (n == 0)
                    continue;
                mailseal += await bench.MeasureAsync(bench.MailsealPort, "m", n, body, limit, cancellationToken);
                tutorial += await bench.MeasureAsync(bench.TutorialPort, "t", n, body, limit, cancellationToken);
            }

            var table = new TextTable("contender", "messages", "seconds", "msg/s");
            table.Add("mailseal-pipe", count.ToString(CultureInfo.InvariantCulture), mailseal.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture), (count / mailseal.TotalSeconds).ToString("F2", CultureInfo.InvariantCulture));
            table.Add("spamc|gpg|sendmail", count.ToString(CultureInfo.InvariantCulture), tutorial.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture), (count / tutorial.TotalSeconds).ToString("F2", CultureInfo.InvariantCulture));
            table.WriteTo(output);
            output.WriteLine($"ratio mailseal-pipe / tutorial wrapper: {tutorial.TotalSeconds / mailseal.TotalSeconds:F2}x messages per second");
            return 0;
        }
        finally
        {
            await bench.TearDownAsync();
        }
    }

    private static string Body(long size)
    {
        var sb = new StringBuilder();
        var line = "The quick brown fox jumps over the lazy dog, again and again, line ";
        for (var i = 0; sb.Length < size; i++)
            sb.Append(line).Append(i.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        return sb.ToString();
    }

    /// <summary>One private Postfix instance, spamd and key material under a temp directory.</summary>
    private sealed class Instance(string root)
    {
        private readonly string etc = Path.Combine(root, "etc", "postfix");
        private int spamdPort;
        private bool postfixStarted;
        private bool alternateAdded;

        public int MailsealPort { get; private set; }

        public int TutorialPort { get; private set; }

        private string Log => Path.Combine(root, "log", "postfix.log");

        public async Task SetUpAsync(string tool, CancellationToken ct)
        {
            MailsealPort = FreePort();
            TutorialPort = FreePort();
            spamdPort = FreePort();
            var gnupg = Path.Combine(root, "gnupg");
            await Sh($"""
                set -e
                getent passwd {PipeUser} >/dev/null || useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin {PipeUser}
                install -d -m 755 '{root}' '{root}/etc' '{etc}' '{root}/log' '{root}/keys' '{root}/spool' '{root}/run'
                install -d -m 750 -o postfix -g postfix '{root}/data'
                install -d -m 700 -o {PipeUser} -g {PipeUser} '{gnupg}'
                chmod -R a+rX "$(dirname '{tool}')"
                """, ct);
            var g = $"gpg --homedir '{gnupg}' --batch --quiet --no-tty --passphrase '' --pinentry-mode loopback";
            var fpr = (await Sh($$"""
                set -e
                runuser -u {{PipeUser}} -- {{g}} --quick-gen-key '<bench@{{Domain}}>' ed25519 cert never
                f=$(runuser -u {{PipeUser}} -- {{g}} --with-colons --list-keys | awk -F: '/^fpr:/ { print $10; exit }')
                runuser -u {{PipeUser}} -- {{g}} --quick-add-key "$f" cv25519 encr never
                runuser -u {{PipeUser}} -- {{g}} --armor --export "$f" > '{{root}}/keys/m@{{Domain}}.asc'
                cp '{{root}}/keys/m@{{Domain}}.asc' '{{root}}/keys/t@{{Domain}}.asc'
                cp '{{root}}/keys/m@{{Domain}}.asc' '{{root}}/keys/warm-m@{{Domain}}.asc'
                chmod 644 '{{root}}/keys/'*.asc
                echo "$f"
                """, ct)).Trim();

            // the tutorial's wrapper, with gpg in place of gpgit.pl: spamc | encrypt the body | sendmail
            var script = Path.Combine(root, "tutorial-filter.sh");
            await File.WriteAllTextAsync(script, $$"""
                #!/bin/bash
                # Test-only stand-in for the tutorial's filter: spamc | gpg | sendmail "$@".
                # argv: -oi -f SENDER RECIPIENT
                spamc -d 127.0.0.1 -p {{spamdPort}} | {
                  header=""
                  while IFS= read -r line && [ -n "${line%$'\r'}" ]; do header+="$line"$'\n'; done
                  printf '%s\n' "$header"
                  gpg --homedir '{{gnupg}}' --batch --quiet --no-tty --trust-model always --armor --encrypt -r '{{fpr}}'
                } | /usr/sbin/sendmail -C '{{etc}}' "$@"
                exit ${PIPESTATUS[2]}

                """, ct);
            File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
            var conf = Path.Combine(root, "mailseal.conf");
            await File.WriteAllTextAsync(conf, $"""
                key_dir = {root}/keys
                local_domains = {Domain}

                [pipe]
                spamd = inet:127.0.0.1:{spamdPort}
                postfix_config = {etc}

                """, ct);
            File.SetUnixFileMode(conf, (UnixFileMode)0b110_100_100);

            await File.WriteAllTextAsync(Path.Combine(etc, "main.cf"), $$"""
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
                mailseal-pipe_destination_recipient_limit = 1
                tutorial-pipe_destination_recipient_limit = 1

                """, ct);
            await File.WriteAllTextAsync(Path.Combine(etc, "master.cf"), $$"""
                127.0.0.1:{{MailsealPort}} inet n - n - - smtpd -o content_filter=mailseal-pipe:dummy
                127.0.0.1:{{TutorialPort}} inet n - n - - smtpd -o content_filter=tutorial-pipe:dummy
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
                mailseal-pipe unix - n n - - pipe flags=Rq user={{PipeUser}} argv={{tool}} --config {{conf}} -q ${queue_id} -f ${sender} -- ${recipient}
                tutorial-pipe unix - n n - - pipe flags=Rq user={{PipeUser}} argv={{script}} -oi -f ${sender} ${recipient}

                """, ct);

            // postdrop accepts a private config dir only when /etc/postfix/main.cf lists it (NOTES.md pitfall 1);
            // the same machine-wide lock as the end-to-end harness guards that line
            using (await LockAsync(ct))
            {
                await Sh($$"""
                    set -e
                    [ -f /etc/postfix/main.cf ] || { mkdir -p /etc/postfix; echo 'compatibility_level = 3.6' > /etc/postfix/main.cf; }
                    cur=$(postconf -c /etc/postfix -h alternate_config_directories)
                    postconf -c /etc/postfix -e "alternate_config_directories = ${cur:+$cur, }{{etc}}"
                    """, ct);
                alternateAdded = true;
            }

            await Sh($"""
                set -e
                spamd --daemonize --listen=127.0.0.1:{spamdPort} --pidfile='{root}/run/spamd.pid' --username=debian-spamd --max-children=2 --min-children=2 --syslog='{root}/log/spamd.log' --nouser-config --helper-home-dir=/var/lib/spamassassin
                touch -d '-1 min' '{etc}/main.cf' '{etc}/master.cf'
                postfix -c '{etc}' start
                """, ct);
            postfixStarted = true;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!(Listening(MailsealPort) && Listening(TutorialPort) && Listening(spamdPort)))
            {
                if (DateTime.UtcNow > deadline)
                    throw new InvalidOperationException($"Postfix or spamd did not listen within 60 s (see {root}/log)");
                await Task.Delay(100, ct);
            }
        }

        public async Task<TimeSpan> MeasureAsync(int port, string local, int count, string body, TimeSpan limit, CancellationToken ct)
        {
            var rcpt = $"{local}@{Domain}";
            var before = Delivered(rcpt);
            var sw = Stopwatch.StartNew();
            using (var tcp = new TcpClient())
            {
                await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
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

            while (Delivered(rcpt) - before < count)
            {
                if (sw.Elapsed > limit)
                    throw new InvalidOperationException($"{rcpt}: {Delivered(rcpt) - before} of {count} delivered within {limit.TotalSeconds} s; see {Log}");
                if (File.Exists(Log) && File.ReadLines(Log).Any(l => l.Contains($"to=<{rcpt}>", StringComparison.Ordinal) && (l.Contains("status=bounced", StringComparison.Ordinal) || l.Contains("status=deferred", StringComparison.Ordinal))))
                    throw new InvalidOperationException($"{rcpt}: a delivery was deferred or bounced; see {Log}");
                await Task.Delay(20, ct);
            }

            return sw.Elapsed;
        }

        public async Task TearDownAsync()
        {
            if (postfixStarted)
                await Sh($"postfix -c '{etc}' stop || true", CancellationToken.None);
            await Sh($"[ -f '{root}/run/spamd.pid' ] && kill $(cat '{root}/run/spamd.pid') 2>/dev/null; gpgconf --homedir '{root}/gnupg' --kill gpg-agent 2>/dev/null; true", CancellationToken.None);
            if (alternateAdded)
            {
                using (await LockAsync(CancellationToken.None))
                {
                    await Sh($"""
                        cur=$(postconf -c /etc/postfix -h alternate_config_directories)
                        new=$(printf '%s' "$cur" | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -vxF '{etc}' | paste -sd, - | sed 's/,/, /g')
                        postconf -c /etc/postfix -e "alternate_config_directories = $new"
                        """, CancellationToken.None);
                }
            }

            await Task.Delay(500);
            await Sh($"rm -rf '{root}'", CancellationToken.None);
        }

        private int Delivered(string rcpt) =>
            File.Exists(Log) ? File.ReadLines(Log).Count(l => l.Contains($"to=<{rcpt}>", StringComparison.Ordinal) && l.Contains("relay=none", StringComparison.Ordinal) && l.Contains("status=sent", StringComparison.Ordinal)) : 0;

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

    /// <summary>Holds the machine-wide lock file open.</summary>
    private sealed class StreamLock(FileStream stream) : IDisposable
    {
        public void Dispose() => stream.Dispose();
    }
}
