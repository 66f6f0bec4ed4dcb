using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mailseal.Core.Accounts;
using Npgsql;
using Xunit.Abstractions;
using Xunit.Sdk;

using Mailseal.Testing;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// The one end-to-end fixture: PostgreSQL 15, Dovecot (IMAP, LMTP, SQL auth), Postfix (smtp,
/// submission with SASL, virtual delivery over LMTP), spamd and unbound on free loopback
/// ports, with private configs in a temp dir under <see cref="RootDirectory"/>. Postfix and
/// Dovecot are configured from the shipped fragments in postfix/ and dovecot/ through
/// postfix/apply.sh. Everything it starts it stops by pid, also when a test fails; runs that
/// crashed earlier are cleaned up at the next start (a marker file per run).
/// </summary>
/// <remarks>
/// Use it through <see cref="MailStackCollection"/>. Set MAILSEAL_E2E_KEEP=1 to leave the
/// servers running after the run: the temp dir and a stop command are printed.
/// </remarks>
public sealed class MailStack : IAsyncLifetime
{
    /// <summary>The mail domain whose mailboxes live in the users table.</summary>
    public const string Domain = "example.test";

    /// <summary>Postfix's myhostname.</summary>
    public const string HostName = "mail.example.test";

    /// <summary>Where every run's temp dir and marker live.</summary>
    public const string RootDirectory = "/tmp/mailseal-e2e";

    /// <summary>The environment variable that keeps the servers up after the run.</summary>
    public const string KeepVariable = "MAILSEAL_E2E_KEEP";

    /// <summary>The system user Dovecot stores mail as.</summary>
    public const string VmailUser = "vmail";

    /// <summary>The system user Mailseal's filters run as (pipe(8) user=).</summary>
    public const string PipeUser = "mailseal";

    /// <summary>The database holding the accounts schema.</summary>
    public const string DatabaseName = "mail";

    /// <summary>The read-only role Postfix and Dovecot log in as.</summary>
    public const string DatabaseReader = "mailreader";

    /// <summary>The cached initdb'd cluster copied by each run.</summary>
    public const string TemplateCluster = "/var/tmp/mailseal-e2e-pg15-template-v2";

    internal const string PgBin = "/usr/lib/postgresql/15/bin";
    internal static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private readonly IMessageSink? _sink;
    private readonly Stopwatch _clock = new();
    private readonly List<string> _timings = new();
    private Task<string>? _tools;
    private readonly SemaphoreSlim _publishLock = new(1, 1);
    private Dictionary<string, string> _variables = new(StringComparer.Ordinal);
    private int _varsCounter;
    private string _vmailUid = string.Empty;
    private bool _stopped;
    private readonly PostgresServer _postgres;
    private readonly DovecotServer _dovecot;
    private readonly PostfixServer _postfix;
    private readonly SpamdServer _spamd;
    private readonly UnboundServer _unbound;

    /// <summary>Creates the fixture; xunit passes its diagnostic sink (timings go there).</summary>
    public MailStack(IMessageSink diagnosticSink)
    {
        _sink = diagnosticSink;
        Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        TempDirectory = Path.Combine(RootDirectory, Id);
        MarkerFile = Path.Combine(RootDirectory, "runs", Id);
        var ports = FreePorts.Take(6);
        (SmtpPort, SubmissionPort, ImapPort, SpamdPort, DnsPort, PostgresPort) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]);
        ReaderPassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        _postgres = new PostgresServer(this);
        _dovecot = new DovecotServer(this);
        _postfix = new PostfixServer(this);
        _spamd = new SpamdServer(this);
        _unbound = new UnboundServer(this);
    }

    /// <summary>This run's id (the temp dir's name).</summary>
    public string Id { get; }

    /// <summary>This run's private temp dir; deleted when the run ends.</summary>
    public string TempDirectory { get; }

    /// <summary>The marker file naming this run's temp dir and owner, for crash cleanup.</summary>
    public string MarkerFile { get; }

    /// <summary>Postfix smtpd without authentication (mail from outside).</summary>
    public int SmtpPort { get; }

    /// <summary>Postfix submission: AUTH required (SASL through Dovecot).</summary>
    public int SubmissionPort { get; }

    /// <summary>Dovecot IMAP (plaintext LOGIN allowed: loopback only).</summary>
    public int ImapPort { get; }

    /// <summary>spamd.</summary>
    public int SpamdPort { get; }

    /// <summary>unbound (UDP and TCP).</summary>
    public int DnsPort { get; }

    /// <summary>PostgreSQL on 127.0.0.1 (and the unix socket in <see cref="PostgresSocketDirectory"/>).</summary>
    public int PostgresPort { get; }

    /// <summary>The password of <see cref="DatabaseReader"/>.</summary>
    public string ReaderPassword { get; }

    /// <summary>The Postfix config directory (main.cf, master.cf, pgsql maps).</summary>
    public string PostfixConfigDirectory => Path.Combine(TempDirectory, "etc", "postfix");

    /// <summary>Postfix's queue_directory.</summary>
    public string PostfixQueueDirectory => Path.Combine(TempDirectory, "spool", "postfix");

    /// <summary>The Dovecot config file.</summary>
    public string DovecotConfigFile => Path.Combine(TempDirectory, "etc", "dovecot", "dovecot.conf");

    /// <summary>Dovecot's LMTP socket (Postfix's virtual_transport).</summary>
    public string LmtpSocket => Path.Combine(TempDirectory, "run", "sockets", "dovecot-lmtp");

    /// <summary>Dovecot's auth socket for Postfix SASL.</summary>
    public string DovecotAuthSocket => Path.Combine(TempDirectory, "run", "sockets", "dovecot-auth");

    /// <summary>Where mailboxes live: users.maildir is relative to it.</summary>
    public string MailRoot => Path.Combine(TempDirectory, "mail");

    /// <summary>PostgreSQL's unix socket directory.</summary>
    public string PostgresSocketDirectory => Path.Combine(TempDirectory, "run", "pg");

    /// <summary>The unbound config file.</summary>
    public string UnboundConfigFile => Path.Combine(TempDirectory, "etc", "unbound", "unbound.conf");

    /// <summary>Where service logs are written.</summary>
    public string LogDirectory => Path.Combine(TempDirectory, "log");

    /// <summary>Superuser connection string (unix socket, trust), database <see cref="DatabaseName"/>.</summary>
    public string DatabaseConnectionString =>
        $"Host={PostgresSocketDirectory};Port={PostgresPort};Username=postgres;Database={DatabaseName};Pooling=false;Timeout=15";

    /// <summary>Connection string of the read-only <see cref="DatabaseReader"/> role over TCP.</summary>
    public string ReaderConnectionString =>
        $"Host=127.0.0.1;Port={PostgresPort};Username={DatabaseReader};Password={ReaderPassword};Database={DatabaseName};Pooling=false;Timeout=15";

    /// <summary>The placeholder values the base fragments were applied with (DOMAINS, LMTP_SOCKET, PG_HOSTS, ...).</summary>
    public IReadOnlyDictionary<string, string> FragmentVariables => _variables;

    /// <summary>The repository checkout the tests run from (holds Toolkit.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>True when MAILSEAL_E2E_KEEP=1: the servers stay up after the run (and after a failed start).</summary>
    public static bool KeepRequested => string.Equals(Environment.GetEnvironmentVariable(KeepVariable), "1", StringComparison.Ordinal);

    /// <summary>How long startup took.</summary>
    public TimeSpan StartupTime { get; private set; }

    // ------------------------------------------------------------------ lifecycle

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        _clock.Start();
        var ct = CancellationToken.None;
        try
        {
            using (await StackLock.AcquireAsync(ct).ConfigureAwait(false))
            {
                await CleanStaleRunsLockedAsync().ConfigureAwait(false);
                EnsureDatagramQueueLength();
                await EnsureSystemUsersAsync(ct).ConfigureAwait(false);
                await PostgresServer.EnsureTemplateClusterAsync(ct).ConfigureAwait(false);
                WriteMarker(keep: false);
            }

            Lap("users, template, marker");
            await CreateDirectoriesAsync(ct).ConfigureAwait(false);
            Lap("directories");
            _variables = BaseVariables();

            var spamd = _spamd.StartAsync(ct);
            var unbound = _unbound.StartAsync(ct);
            var postgres = _postgres.StartThenSchemaAsync(ct);
            var dovecotConfig = _dovecot.ConfigureAsync(ct);
            var postfixConfig = _postfix.ConfigureAsync(ct);
            await Task.WhenAll(postgres, dovecotConfig).ConfigureAwait(false);
            var dovecot = _dovecot.StartAsync(ct);
            await postfixConfig.ConfigureAwait(false);
            var postfix = _postfix.StartAsync(ct);
            await Task.WhenAll(spamd, unbound, dovecot, postfix).ConfigureAwait(false);
            StartupTime = _clock.Elapsed;
            Lap("all up");
            Report($"mail stack {Id} up in {StartupTime.TotalMilliseconds:F0} ms in {TempDirectory} ({string.Join(", ", _timings)})");
        }
        catch (Exception e)
        {
            var logs = AllLogTails();
            if (KeepRequested)
            {
                WriteMarker(keep: true);
                Report($"{KeepVariable}=1: the failed mail stack is left as it is in {TempDirectory}; stop it with: bash {Path.Combine(TempDirectory, "stop.sh")}");
            }
            else
            {
                await StopEverythingAsync().ConfigureAwait(false);
            }

            throw new InvalidOperationException($"the mail stack did not start: {e.Message}\n{logs}", e);
        }
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (KeepRequested)
        {
            WriteMarker(keep: true);
            Report($"{KeepVariable}=1: the mail stack keeps running in {TempDirectory} (smtp {SmtpPort}, submission {SubmissionPort}, imap {ImapPort}, postgres {PostgresPort}, dns {DnsPort}, spamd {SpamdPort}); stop it with: bash {Path.Combine(TempDirectory, "stop.sh")}");
            return;
        }

        var alive = _clock.Elapsed;
        var down = Stopwatch.StartNew();
        await StopEverythingAsync().ConfigureAwait(false);
        Report($"mail stack {Id} down in {down.ElapsedMilliseconds} ms; it ran {alive.TotalSeconds:F1} s (start-up {StartupTime.TotalMilliseconds:F0} ms)");
        _publishLock.Dispose();
    }

    /// <summary>Stops every service (by pid file), deletes the temp dir and the marker, and removes this run's alternate_config_directories entry.</summary>
    public async Task StopEverythingAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(
            StopServiceAsync(MailService.Postfix),
            StopServiceAsync(MailService.Dovecot),
            StopServiceAsync(MailService.Spamd),
            StopServiceAsync(MailService.Unbound)).ConfigureAwait(false);
        var daemons = sw.ElapsedMilliseconds;
        await StopServiceAsync(MailService.Postgres).ConfigureAwait(false);
        var postgres = sw.ElapsedMilliseconds;
        await KillGpgAgentsAsync(TempDirectory).ConfigureAwait(false);
        var gpg = sw.ElapsedMilliseconds;
        using (await StackLock.AcquireAsync(CancellationToken.None).ConfigureAwait(false))
        {
            await PostfixServer.RemoveAlternateConfigDirectoryAsync(Path.Combine(TempDirectory, "etc", "postfix")).ConfigureAwait(false);
        }

        var postconf = sw.ElapsedMilliseconds;
        await DeleteDirectoryAsync(TempDirectory).ConfigureAwait(false);
        File.Delete(MarkerFile);
        Report($"stopped in {sw.ElapsedMilliseconds} ms: daemons at {daemons} ms, postgres at {postgres} ms, gpg-agents at {gpg} ms, main.cf at {postconf} ms");
    }

    // ------------------------------------------------------------------ services

    /// <summary>The pid in <paramref name="service"/>'s pid file, or null.</summary>
    public int? PidOf(MailService service) => PidControl.ReadPidFile(PidFile(TempDirectory, service));

    /// <summary>True when <paramref name="service"/>'s pid file names a live process.</summary>
    public bool IsRunning(MailService service) => PidOf(service) is { } pid && PidControl.IsAlive(pid);

    /// <summary>Stops one service by its pid file (SIGTERM, SIGINT for PostgreSQL; SIGKILL after 10 s).</summary>
    public async Task StopServiceAsync(MailService service)
    {
        var file = PidFile(TempDirectory, service);
        if (PidControl.ReadPidFile(file) is { } pid)
        {
            var (expected, signal) = StopHow(service);
            var sw = Stopwatch.StartNew();
            if (!await PidControl.StopAsync(pid, expected, signal, StopGrace).ConfigureAwait(false))
            {
                Report($"{service}: pid {pid} from {file} is '{PidControl.Describe(pid)}', not ours: left alone");
            }
            else if (sw.Elapsed > TimeSpan.FromSeconds(2))
            {
                Report($"{service} (pid {pid}) took {sw.ElapsedMilliseconds} ms to stop");
            }
        }
    }

    /// <summary>
    /// Starts one service again with the configuration it had. After restarting PostgreSQL,
    /// call <see cref="ReloadPostfixAsync"/>: Postfix's pgsql client avoids a host that failed
    /// for retry_interval (60 s), as on a real server.
    /// </summary>
    public Task StartServiceAsync(MailService service, CancellationToken ct = default) => service switch
    {
        MailService.Postgres => _postgres.StartAsync(ct),
        MailService.Dovecot => _dovecot.StartAsync(ct),
        MailService.Postfix => _postfix.StartAsync(ct),
        MailService.Spamd => _spamd.StartAsync(ct),
        MailService.Unbound => _unbound.StartAsync(ct),
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    /// <summary>The last <paramref name="lines"/> lines of <paramref name="service"/>'s log.</summary>
    public string TailLog(MailService service, int lines = 40)
    {
        var sb = new StringBuilder();
        foreach (var name in LogFiles(service))
        {
            var path = Path.Combine(LogDirectory, name);
            if (!File.Exists(path))
            {
                continue;
            }

            string[] all;
            try
            {
                all = File.ReadAllLines(path);
            }
            catch (IOException e)
            {
                sb.Append(CultureInfo.InvariantCulture, $"--- {path}: {e.Message}\n");
                continue;
            }

            sb.Append(CultureInfo.InvariantCulture, $"--- last {lines} lines of {path}\n");
            foreach (var l in all.TakeLast(lines))
            {
                sb.Append(l).Append('\n');
            }
        }

        return sb.Length == 0 ? $"--- no log for {service} in {LogDirectory}\n" : sb.ToString();
    }

    // ------------------------------------------------------------------ accounts and keys

    /// <summary>Opens a superuser connection to the mail database.</summary>
    public async Task<NpgsqlConnection> OpenDatabaseAsync(CancellationToken ct = default)
    {
        var c = new NpgsqlConnection(DatabaseConnectionString);
        await c.OpenAsync(ct).ConfigureAwait(false);
        return c;
    }

    /// <summary>Hashes <paramref name="password"/> with Dovecot's own <c>doveadm pw</c>; the result carries its {SCHEME} prefix.</summary>
    public static async Task<string> HashPasswordAsync(string password, PasswordScheme scheme, CancellationToken ct = default)
    {
        var name = scheme switch
        {
            PasswordScheme.Argon2Id => "ARGON2ID",
            PasswordScheme.Sha512Crypt => "SHA512-CRYPT",
            _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
        };
        var r = await ProcessRunner.RunCheckedAsync("doveadm", ["-O", "pw", "-s", name, "-p", password], ct: ct).ConfigureAwait(false);
        return r.StandardOutput.Trim();
    }

    /// <summary>Generates an OpenPGP key (Ed25519 + Cv25519) for <paramref name="email"/> with GnuPG, in a home under the temp dir.</summary>
    public async Task<TestKey> GenerateKeyAsync(string email, CancellationToken ct = default)
    {
        var home = Path.Combine(TempDirectory, "gnupg", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string[] g = ["--homedir", home, "--batch", "--quiet", "--no-tty", "--passphrase", string.Empty, "--pinentry-mode", "loopback"];
        try
        {
            await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--quick-gen-key", $"<{email}>", "ed25519", "cert", "never"], ct: ct).ConfigureAwait(false);
            var colons = await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--with-colons", "--list-keys"], ct: ct).ConfigureAwait(false);
            var fpr = colons.StandardOutput.Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
            await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--quick-add-key", fpr, "cv25519", "encr", "never"], ct: ct).ConfigureAwait(false);
            var pub = await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--armor", "--export", fpr], ct: ct).ConfigureAwait(false);
            var sec = await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--armor", "--export-secret-keys", fpr], ct: ct).ConfigureAwait(false);
            return new TestKey(email, fpr, pub.StandardOutput, sec.StandardOutput, home);
        }
        finally
        {
            await KillGpgAgentAsync(home).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates a mailbox in the users table (the schema Dovecot and Postfix read): a real
    /// Dovecot password hash, a generated key unless <paramref name="key"/> is given, maildir
    /// DOMAIN/LOCAL/. A null password gets a random one.
    /// </summary>
    public async Task<MailAccount> CreateAccountAsync(string email, string? password = null, TestKey? key = null, PasswordScheme scheme = PasswordScheme.Argon2Id, CancellationToken ct = default)
    {
        email = email.ToLowerInvariant();
        password ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9));
        key ??= await GenerateKeyAsync(email, ct).ConfigureAwait(false);
        var hash = await HashPasswordAsync(password, scheme, ct).ConfigureAwait(false);
        var at = email.IndexOf('@', StringComparison.Ordinal);
        var maildir = $"{email[(at + 1)..]}/{email[..at]}/";
        await using var db = await OpenDatabaseAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO users (email, pgpkey, key_fingerprint, password, maildir) VALUES (@email, @key, @fpr, @password, @maildir)", db);
        cmd.Parameters.AddWithValue("email", email);
        cmd.Parameters.AddWithValue("key", key.PublicKeyArmored);
        cmd.Parameters.AddWithValue("fpr", key.Fingerprint);
        cmd.Parameters.AddWithValue("password", hash);
        cmd.Parameters.AddWithValue("maildir", maildir);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return new MailAccount(email, password, maildir, key);
    }

    /// <summary>Adds an alias row: mail to <paramref name="alias"/> goes to <paramref name="email"/>.</summary>
    public async Task AddAliasAsync(string alias, string email, CancellationToken ct = default)
    {
        await using var db = await OpenDatabaseAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("INSERT INTO aliases (alias, email) VALUES (lower(@alias), lower(@email))", db);
        cmd.Parameters.AddWithValue("alias", alias);
        cmd.Parameters.AddWithValue("email", email);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ mail

    /// <summary>A small RFC 5322 message with CRLF line ends.</summary>
    public static string BuildMessage(string from, string to, string subject, string body) =>
        $"From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: {DateTime.UtcNow.ToString("R", CultureInfo.InvariantCulture)}\r\n" +
        $"Message-ID: <{Guid.NewGuid():N}@client.example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body.ReplaceLineEndings("\r\n")}\r\n";

    /// <summary>Sends a message with MailKit over SMTP without AUTH (port <see cref="SmtpPort"/> unless given); returns Postfix's queue id. A refusal throws MailKit's <see cref="MailKit.Net.Smtp.SmtpCommandException"/>.</summary>
    public async Task<string> SendAsync(string from, IEnumerable<string> to, string message, int? port = null, CancellationToken ct = default)
    {
        using var smtp = await TestClients.ConnectSmtpAsync(port ?? SmtpPort, ct: ct).ConfigureAwait(false);
        return await TransactAsync(smtp, from, to, message, ct).ConfigureAwait(false);
    }

    /// <summary>Submits a message with MailKit on <see cref="SubmissionPort"/> with AUTH; returns the queue id. A refused AUTH throws MailKit's <see cref="MailKit.Security.AuthenticationException"/>.</summary>
    public async Task<string> SubmitAsync(string user, string password, string from, IEnumerable<string> to, string message, CancellationToken ct = default)
    {
        using var smtp = await TestClients.ConnectSmtpAsync(SubmissionPort, ct: ct).ConfigureAwait(false);
        await smtp.AuthenticateAsync(user, password, ct).ConfigureAwait(false);
        return await TransactAsync(smtp, from, to, message, ct).ConfigureAwait(false);
    }

    private static async Task<string> TransactAsync(MailKit.Net.Smtp.SmtpClient smtp, string from, IEnumerable<string> to, string message, CancellationToken ct)
    {
        var reply = await TestClients.SendRawAsync(smtp, from, to, message, ct).ConfigureAwait(false);
        await smtp.DisconnectAsync(true, ct).ConfigureAwait(false);
        return TestClients.QueueIdOf(reply) ?? throw new XunitException($"no queue id in Postfix's reply to DATA: {reply}");
    }

    /// <summary>Logs in over IMAP and fetches every message in INBOX, raw.</summary>
    public async Task<IReadOnlyList<byte[]>> FetchMessagesAsync(string email, string password, CancellationToken ct = default)
    {
        using var imap = await TestClients.ConnectImapAsync(ImapPort, email, password, ct: ct).ConfigureAwait(false);
        var all = await TestClients.FetchAllRawAsync(imap, ct).ConfigureAwait(false);
        await imap.DisconnectAsync(true, ct).ConfigureAwait(false);
        return all;
    }

    /// <summary>Waits until <paramref name="account"/>'s INBOX holds at least <paramref name="count"/> messages and returns them all.</summary>
    public Task<IReadOnlyList<byte[]>> WaitForMessagesAsync(MailAccount account, int count, TimeSpan? timeout = null, CancellationToken ct = default) =>
        WaitForMessagesAsync(account.Email, account.Password, count, timeout, ct);

    /// <summary>
    /// Waits (polling IMAP, default 30 s) until INBOX holds at least <paramref name="count"/>
    /// messages; on timeout throws with the Postfix and Dovecot log tails and the queue.
    /// </summary>
    public async Task<IReadOnlyList<byte[]>> WaitForMessagesAsync(string email, string password, int count, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var deadline = DateTime.UtcNow + limit;
        var seen = 0;
        string? lastError = null;
        while (true)
        {
            try
            {
                using var imap = await TestClients.ConnectImapAsync(ImapPort, email, password, ct: ct).ConfigureAwait(false);
                var all = await TestClients.FetchAllRawAsync(imap, ct).ConfigureAwait(false);
                await imap.DisconnectAsync(true, ct).ConfigureAwait(false);
                seen = all.Count;
                if (seen >= count)
                {
                    return all;
                }

                lastError = null;
            }
            catch (Exception e) when (e is MailKit.CommandException or MailKit.ProtocolException or MailKit.Security.AuthenticationException or IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                // Dovecot (or its database) may be coming back: keep trying until the deadline
                lastError = e.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                var queue = await DescribeQueueAsync().ConfigureAwait(false);
                var why = lastError is null ? string.Empty : $" (last IMAP error: {lastError})";
                throw new XunitException($"{email}: INBOX holds {seen} message(s), expected {count}, after {limit.TotalSeconds} s{why}\nqueue: {queue}\n{TailLog(MailService.Postfix)}{TailLog(MailService.Dovecot)}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Polls the queue (default 30 s) until <paramref name="condition"/> holds; throws with the Postfix log tail otherwise.</summary>
    public async Task<IReadOnlyList<QueuedMessage>> WaitForQueueAsync(Func<IReadOnlyList<QueuedMessage>, bool> condition, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var q = await GetQueueAsync(ct).ConfigureAwait(false);
            if (condition(q))
            {
                return q;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new XunitException($"the queue did not reach the expected state within {limit.TotalSeconds} s: {JsonSerializer.Serialize(q)}\n{TailLog(MailService.Postfix)}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Asks Postfix to retry every deferred message now (<c>postqueue -f</c>).</summary>
    public Task FlushQueueAsync(CancellationToken ct = default) =>
        ProcessRunner.RunCheckedAsync("postqueue", ["-c", PostfixConfigDirectory, "-f"], ct: ct);

    /// <summary>
    /// Proves that no further copy for <paramref name="recipient"/> can arrive: waits (default
    /// 30 s) until Postfix's queue is empty (<c>postqueue -j</c>: maildrop, incoming, active,
    /// deferred and hold; a message being filtered or re-injected is still in one of them) and
    /// Postfix's log shows exactly <paramref name="deliveries"/> final deliveries to it (status=sent,
    /// not the hand-over to mailseal-pipe or mailseal-filterd). Fails at once on more deliveries than expected.
    /// This replaces waiting "longer than the retry backoff" and hoping a duplicate shows.
    /// </summary>
    public async Task WaitForSettledDeliveriesAsync(string recipient, int deliveries, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var queue = await GetQueueAsync(ct).ConfigureAwait(false);
            var sent = _postfix.FinalDeliveries(recipient);
            if (sent.Count > deliveries)
            {
                throw new XunitException($"{recipient}: {sent.Count} final deliveries in postfix.log, expected {deliveries}:\n{string.Join('\n', sent)}");
            }

            if (queue.Count == 0 && sent.Count == deliveries)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new XunitException($"{recipient}: after {limit.TotalSeconds} s the queue holds {queue.Count} message(s) and postfix.log shows {sent.Count} final deliveries, expected an empty queue and {deliveries}: {JsonSerializer.Serialize(queue)}\n{TailLog(MailService.Postfix)}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Like <see cref="WaitForSettledDeliveriesAsync"/> where a known number of duplicates is
    /// allowed (a filter killed between its re-injection and its reply): waits until the queue is
    /// empty and the log shows at least <paramref name="atLeast"/> final deliveries to
    /// <paramref name="recipient"/>, then returns those log lines. Nothing can arrive after that:
    /// a message being filtered or re-injected is still queued.
    /// </summary>
    public async Task<IReadOnlyList<string>> WaitForQueueEmptyAndDeliveriesAsync(string recipient, int atLeast, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var queue = await GetQueueAsync(ct).ConfigureAwait(false);
            var sent = _postfix.FinalDeliveries(recipient);
            if (queue.Count == 0 && sent.Count >= atLeast)
            {
                return sent;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new XunitException($"{recipient}: after {limit.TotalSeconds} s the queue holds {queue.Count} message(s) and postfix.log shows {sent.Count} final deliveries, expected an empty queue and at least {atLeast}: {JsonSerializer.Serialize(queue)}\n{TailLog(MailService.Postfix)}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    // ------------------------------------------------------------------ configuration

    /// <summary>
    /// Applies a Postfix fragment (a .postconf file or a map) to <see cref="PostfixConfigDirectory"/>
    /// through postfix/apply.sh, with <see cref="FragmentVariables"/> plus
    /// <paramref name="extraVariables"/>, then reloads Postfix. A relative path is relative to
    /// the repository root. <see cref="ResetPostfixConfigAsync"/> undoes it.
    /// </summary>
    public async Task ApplyPostfixFragmentAsync(string path, IReadOnlyDictionary<string, string>? extraVariables = null, CancellationToken ct = default)
    {
        await ApplyFragmentsAsync(PostfixConfigDirectory, [path], extraVariables, ct).ConfigureAwait(false);
        TouchPast(PostfixConfigDirectory);
        await ReloadPostfixAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Runs postfix/apply.sh on <paramref name="targetDirectory"/> with the harness's variables plus <paramref name="extraVariables"/>; throws with its message on failure.</summary>
    public async Task<ProcessResult> ApplyFragmentsAsync(string targetDirectory, IEnumerable<string> fragments, IReadOnlyDictionary<string, string>? extraVariables = null, CancellationToken ct = default)
    {
        var merged = new Dictionary<string, string>(_variables, StringComparer.Ordinal);
        if (extraVariables is not null)
        {
            foreach (var (k, v) in extraVariables)
            {
                merged[k] = v;
            }
        }

        var varsFile = Path.Combine(TempDirectory, "etc", $"fragment-{Interlocked.Increment(ref _varsCounter)}.vars");
        await File.WriteAllTextAsync(varsFile, string.Concat(merged.Select(kv => $"{kv.Key}={kv.Value}\n")), ct).ConfigureAwait(false);
        File.SetUnixFileMode(varsFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            // Mailseal's own fragments and script come from MAILSEAL_SHARE_DIR (an installed
            // package) when set; the tests' own fragments (tests/...) from the repository.
            var share = PublishedTools.FragmentRoot();
            string Resolve(string f) => Path.IsPathRooted(f) ? f
                : Path.Combine(f.StartsWith("postfix/", StringComparison.Ordinal) || f.StartsWith("dovecot/", StringComparison.Ordinal) ? share : RepositoryRoot, f);
            var args = new List<string> { Resolve("postfix/apply.sh"), "--vars", varsFile, targetDirectory };
            args.AddRange(fragments.Select(Resolve));
            return await ProcessRunner.RunCheckedAsync("/bin/bash", args, ct: ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(varsFile);
        }
    }

    /// <summary><c>postfix reload</c>: the master re-reads main.cf and master.cf.</summary>
    public Task ReloadPostfixAsync(CancellationToken ct = default) => _postfix.ReloadAsync(ct);

    /// <summary>Restores main.cf and master.cf as they were after the base fragments, and reloads Postfix.</summary>
    public Task ResetPostfixConfigAsync(CancellationToken ct = default) => _postfix.ResetConfigAsync(ct);

    /// <summary>Reads Postfix's queue (<c>postqueue -j</c>).</summary>
    public Task<IReadOnlyList<QueuedMessage>> GetQueueAsync(CancellationToken ct = default) => _postfix.GetQueueAsync(ct);

    /// <summary>Postfix's log lines that record a final delivery to <paramref name="recipient"/> (not the hand-over to mailseal-pipe).</summary>
    public IReadOnlyList<string> FinalDeliveries(string recipient) => _postfix.FinalDeliveries(recipient);

    /// <summary>
    /// Makes unbound answer <paramref name="zone"/> from <paramref name="records"/> (zone-file
    /// lines such as <c>example.org. 300 IN TXT "v=spf1 -all"</c>) and nothing else for
    /// names under it (local-zone static); replaces what an earlier call gave it.
    /// </summary>
    public Task SetDnsZoneAsync(string zone, IEnumerable<string> records, CancellationToken ct = default) => _unbound.SetZoneAsync(zone, records, ct);

    /// <summary>Removes a zone given with <see cref="SetDnsZoneAsync"/>.</summary>
    public Task RemoveDnsZoneAsync(string zone, CancellationToken ct = default) => _unbound.RemoveZoneAsync(zone, ct);

    /// <summary>The entries of alternate_config_directories in /etc/postfix/main.cf.</summary>
    public static Task<List<string>> AlternateConfigDirectoriesAsync() => PostfixServer.AlternateConfigDirectoriesAsync();

    /// <summary>Runs <c>postfix check</c> on the config directory.</summary>
    public Task<ProcessResult> PostfixCheckAsync(CancellationToken ct = default) =>
        ProcessRunner.RunAsync("postfix", ["-c", PostfixConfigDirectory, "check"], ct: ct);

    /// <summary>Asks the harness's unbound with DnsClient; see <see cref="TestClients.QueryDnsAsync"/>.</summary>
    public Task<(int Rcode, IReadOnlyList<string> Answers)> QueryDnsAsync(string name, DnsClient.QueryType type, CancellationToken ct = default) =>
        TestClients.QueryDnsAsync(DnsPort, name, type, ct);

    /// <summary>
    /// The published native tools (tools/publish.sh: <c>mailseal-encrypt</c>, <c>mailseal</c> and its links, ...), copied once
    /// per run into a world-readable directory of this run so Postfix's pipe user can run them.
    /// </summary>
    /// <returns>The directory holding <c>mailseal-encrypt</c>, <c>mailseal-pipe</c>, ...</returns>
    public async Task<string> ToolsDirectoryAsync(CancellationToken ct = default)
    {
        await _publishLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _tools ??= CopyToolsAsync();
        }
        finally
        {
            _publishLock.Release();
        }

        return await _tools.WaitAsync(ct).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ start-up steps

    private async Task<string> CopyToolsAsync()
    {
        var source = await Task.Run(() => PublishedTools.Directory).ConfigureAwait(false);
        // Installed binaries (MAILSEAL_BIN_DIR=/usr/bin) are run where they are, as Postfix runs them.
        if (PublishedTools.IsGiven)
            return source;
        var output = Path.Combine(TempDirectory, "bin");
        Directory.CreateDirectory(output);
        // cp -a keeps the links: each tool name still starts the one multi-call binary.
        await ProcessRunner.RunCheckedAsync("cp", ["-a", source + "/.", output]).ConfigureAwait(false);
        await ProcessRunner.RunCheckedAsync("chmod", ["-R", "a+rX", output]).ConfigureAwait(false);
        return output;
    }

    private Dictionary<string, string> BaseVariables() => new(StringComparer.Ordinal)
    {
        ["DOMAINS"] = Domain,
        ["LMTP_SOCKET"] = LmtpSocket,
        ["DOVECOT_AUTH_SOCKET"] = DovecotAuthSocket,
        ["PG_HOSTS"] = $"inet:127.0.0.1:{PostgresPort}",
        ["PG_USER"] = DatabaseReader,
        ["PG_PASSWORD"] = ReaderPassword,
        ["PG_DBNAME"] = DatabaseName,
        ["SUBMISSION_SERVICE"] = $"127.0.0.1:{SubmissionPort}",
        ["SMTP_SERVICE"] = $"127.0.0.1:{SmtpPort}",
        ["SUBMISSION_TLS_LEVEL"] = "none",
        ["VMAIL_USER"] = VmailUser,
        ["VMAIL_GROUP"] = VmailUser,
        ["VMAIL_UID"] = _vmailUid,
        ["DOVECOT_SQL_CONF"] = Path.Combine(TempDirectory, "etc", "dovecot", "conf.d", "mailseal-sql.conf.ext"),
        ["DOVECOT_PG_CONNECT"] = $"host=127.0.0.1 port={PostgresPort} dbname={DatabaseName} user={DatabaseReader} password={ReaderPassword}",
        ["MAIL_ROOT"] = MailRoot,
        ["POSTMASTER"] = $"postmaster@{Domain}",
    };

    private static async Task EnsureSystemUsersAsync(CancellationToken ct)
    {
        foreach (var user in new[] { VmailUser, PipeUser })
        {
            var r = await ProcessRunner.RunAsync("getent", ["passwd", user], ct: ct).ConfigureAwait(false);
            if (r.ExitCode != 0)
            {
                await ProcessRunner.RunCheckedAsync("useradd", ["--system", "--user-group", "--home-dir", "/nonexistent", "--no-create-home", "--shell", "/usr/sbin/nologin", user], ct: ct).ConfigureAwait(false);
            }
        }
    }

    private async Task CreateDirectoriesAsync(CancellationToken ct)
    {
        var t = TempDirectory;
        var script = $"""
            set -e
            install -d -m 755 '{t}' '{t}/etc' '{t}/etc/postfix' '{t}/etc/postfix-base' '{t}/etc/dovecot' '{t}/etc/dovecot/conf.d' '{t}/etc/unbound' '{t}/etc/unbound/zones' '{t}/run' '{t}/run/sockets' '{t}/log' '{t}/bin' '{t}/spool' '{t}/spool/postfix' '{t}/pg'
            install -d -m 700 '{t}/gnupg' '{t}/var'
            install -d -m 755 -o postgres -g postgres '{t}/run/pg'
            install -d -m 750 -o {VmailUser} -g {VmailUser} '{t}/mail'
            install -d -m 750 -o postfix -g postfix '{t}/lib' '{t}/lib/postfix'
            install -m 640 -o postgres -g postgres /dev/null '{t}/log/postgresql.log'
            cp -a '{TemplateCluster}' '{t}/pg/data'
            id -u {VmailUser}
            """;
        var r = await ProcessRunner.RunCheckedAsync("/bin/sh", ["-c", script], ct: ct).ConfigureAwait(false);
        _vmailUid = r.StandardOutput.Trim();
        await File.WriteAllTextAsync(Path.Combine(t, "stop.sh"), StopScript(), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Postfix's maillog_file logging goes through postlogd's unix datagram socket. With the
    /// kernel's queue at 10 datagrams (net.unix.max_dgram_qlen here), a burst of log records
    /// around a reload fills it; a restarting postlogd that logs its own first warning then
    /// blocks on its own full socket and every Postfix daemon blocks behind it (seen: `postfix
    /// reload` hanging in CI). A deeper queue, set before Postfix creates its sockets, makes room.
    /// </summary>
    private void EnsureDatagramQueueLength()
    {
        const string path = "/proc/sys/net/unix/max_dgram_qlen";
        const int wanted = 512;
        string current = File.ReadAllText(path).Trim();
        if (int.TryParse(current, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int length) && length >= wanted)
            return;
        File.WriteAllText(path, wanted.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Report($"raised {path} from {current} to {wanted} so Postfix's postlogd cannot block on a full queue");
    }

    // ------------------------------------------------------------------ plumbing

    internal static string PidFile(string tempDirectory, MailService service) => service switch
    {
        MailService.Postgres => Path.Combine(tempDirectory, "pg", "data", "postmaster.pid"),
        MailService.Dovecot => Path.Combine(tempDirectory, "run", "dovecot", "master.pid"),
        MailService.Postfix => Path.Combine(tempDirectory, "spool", "postfix", "pid", "master.pid"),
        MailService.Spamd => Path.Combine(tempDirectory, "run", "spamd.pid"),
        MailService.Unbound => Path.Combine(tempDirectory, "run", "unbound.pid"),
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    private static (string Expected, int Signal) StopHow(MailService service) => service switch
    {
        MailService.Postgres => ("postgres", NativeMethods.SigInt),
        MailService.Dovecot => ("dovecot", NativeMethods.SigTerm),
        MailService.Postfix => ("master", NativeMethods.SigTerm),
        MailService.Spamd => ("spamd", NativeMethods.SigTerm),
        MailService.Unbound => ("unbound", NativeMethods.SigTerm),
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    private static string[] LogFiles(MailService service) => service switch
    {
        MailService.Postgres => ["pg_ctl.out", "postgresql.log"],
        MailService.Dovecot => ["dovecot.out", "dovecot.log"],
        MailService.Postfix => ["postfix.out", "postfix.log"],
        MailService.Spamd => ["spamd.out", "spamd.log"],
        MailService.Unbound => ["unbound.out", "unbound.log"],
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    private string AllLogTails() =>
        string.Concat(Enum.GetValues<MailService>().Select(s => TailLog(s, 25)));

    internal async Task WaitUntilAsync(string what, Func<bool> condition, MailService service, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"timed out after {StartTimeout.TotalSeconds} s waiting for {what}\n{TailLog(service)}");
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

    private async Task<string> DescribeQueueAsync()
    {
        try
        {
            return JsonSerializer.Serialize(await GetQueueAsync().ConfigureAwait(false));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or JsonException or TimeoutException)
        {
            return $"(postqueue failed: {e.Message})";
        }
    }

    internal static void TouchPast(string directory)
    {
        // Postfix waits while main.cf is younger than ~1 s (NOTES.md pitfall 3).
        var past = DateTime.UtcNow.AddMinutes(-1);
        foreach (var f in Directory.EnumerateFiles(directory))
        {
            File.SetLastWriteTimeUtc(f, past);
        }
    }

    internal void Lap(string what)
    {
        lock (_timings)
        {
            _timings.Add($"{what} {_clock.ElapsedMilliseconds} ms");
        }
    }

    internal void Report(string message)
    {
        _sink?.OnMessage(new DiagnosticMessage(message));
        Console.Error.WriteLine($"[mailseal-e2e] {message}");
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Toolkit.sln above {AppContext.BaseDirectory}");
    }

    // ------------------------------------------------------------------ markers and crash cleanup

    private void WriteMarker(bool keep)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(MarkerFile)!);
        var me = Environment.ProcessId;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"owner {me} {PidControl.StartTime(me)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"dir {TempDirectory}\n");
        sb.Append(CultureInfo.InvariantCulture, $"keep {(keep ? 1 : 0)}\n");
        if (File.Exists(MarkerFile))
        {
            foreach (var l in File.ReadAllLines(MarkerFile).Where(l => l.StartsWith("pid ", StringComparison.Ordinal)))
            {
                sb.Append(l).Append('\n');
            }
        }

        File.WriteAllText(MarkerFile, sb.ToString());
    }

    internal void RecordPid(MailService service)
    {
        if (PidOf(service) is { } pid)
        {
            lock (_timings)
            {
                File.AppendAllText(MarkerFile, $"pid {service} {pid}\n");
            }
        }
    }

    /// <summary>
    /// Stops (by the pid files and marker) and deletes runs whose owning test process is gone
    /// (crashed or killed), unless they were kept on purpose with MAILSEAL_E2E_KEEP=1. Every
    /// start does this first; tests may call it too.
    /// </summary>
    public static async Task CleanStaleRunsAsync()
    {
        using (await StackLock.AcquireAsync(CancellationToken.None).ConfigureAwait(false))
        {
            await CleanStaleRunsLockedAsync().ConfigureAwait(false);
        }
    }

    private static async Task CleanStaleRunsLockedAsync()
    {
        var runs = Path.Combine(RootDirectory, "runs");
        if (!Directory.Exists(runs))
        {
            return;
        }

        foreach (var marker in Directory.GetFiles(runs))
        {
            var lines = File.ReadAllLines(marker);
            string Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal))?[(name.Length + 1)..] ?? string.Empty;
            var owner = Field("owner").Split(' ');
            var dir = Field("dir");
            var keep = Field("keep") == "1";
            var ownerAlive = owner.Length == 2 && int.TryParse(owner[0], CultureInfo.InvariantCulture, out var opid)
                && PidControl.IsAlive(opid) && string.Equals(PidControl.StartTime(opid)?.ToString(CultureInfo.InvariantCulture), owner[1], StringComparison.Ordinal);
            if (ownerAlive || (keep && Directory.Exists(dir)))
            {
                continue;
            }

            if (dir.StartsWith(RootDirectory + "/", StringComparison.Ordinal) && Directory.Exists(dir))
            {
                var stops = new List<Task>();
                foreach (var service in new[] { MailService.Postfix, MailService.Dovecot, MailService.Spamd, MailService.Unbound })
                {
                    stops.Add(StopStaleAsync(dir, service, lines));
                }

                await Task.WhenAll(stops).ConfigureAwait(false);
                await StopStaleAsync(dir, MailService.Postgres, lines).ConfigureAwait(false);
                await KillGpgAgentsAsync(dir).ConfigureAwait(false);
                await PostfixServer.RemoveAlternateConfigDirectoryAsync(Path.Combine(dir, "etc", "postfix")).ConfigureAwait(false);
                await DeleteDirectoryAsync(dir).ConfigureAwait(false);
            }

            File.Delete(marker);
        }
    }

    private static async Task StopStaleAsync(string dir, MailService service, string[] markerLines)
    {
        var (expected, signal) = StopHow(service);
        var pids = new HashSet<int>();
        if (PidControl.ReadPidFile(PidFile(dir, service)) is { } p)
        {
            pids.Add(p);
        }

        foreach (var l in markerLines)
        {
            var parts = l.Split(' ');
            if (parts.Length == 3 && parts[0] == "pid" && parts[1] == service.ToString() && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var mp))
            {
                pids.Add(mp);
            }
        }

        foreach (var pid in pids)
        {
            await PidControl.StopAsync(pid, expected, signal, StopGrace).ConfigureAwait(false);
        }
    }

    private static async Task DeleteDirectoryAsync(string dir)
    {
        for (var attempt = 0; Directory.Exists(dir); attempt++)
        {
            // rm -rf rather than Directory.Delete: it does not give up on the first file a
            // daemon that is just exiting writes, and it is faster on the cluster's 1000 files
            var r = await ProcessRunner.RunAsync("rm", ["-rf", "--one-file-system", dir]).ConfigureAwait(false);
            if (r.ExitCode != 0 && attempt >= 20)
            {
                throw new IOException($"cannot delete {dir}: {r.Output}");
            }

            if (Directory.Exists(dir))
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }

    private static async Task KillGpgAgentsAsync(string dir)
    {
        var gnupg = Path.Combine(dir, "gnupg");
        if (!Directory.Exists(gnupg))
        {
            return;
        }

        foreach (var home in Directory.GetDirectories(gnupg))
        {
            await KillGpgAgentAsync(home).ConfigureAwait(false);
        }
    }

    private static async Task KillGpgAgentAsync(string home)
    {
        try
        {
            await ProcessRunner.RunAsync("gpgconf", ["--homedir", home, "--kill", "all"], timeout: TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // nothing to kill, or gpgconf missing: the key generation already failed loudly then
        }
    }

    // ------------------------------------------------------------------ /etc/postfix/main.cf

    private string StopScript() => $$"""
        #!/bin/bash
        # stop.sh - stop the Mailseal end-to-end stack in {{TempDirectory}} (left running by
        # MAILSEAL_E2E_KEEP=1) by its pid files, and delete it.
        set -u
        T={{TempDirectory}}
        export PATH={{ProgramLocator.SystemPath}}
        alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]; }
        stop() { # stop PIDFILE SIGNAL EXPECTED-NAME
          [ -s "$1" ] || return 0
          local p; p=$(head -1 "$1" | tr -dc 0-9)
          [ -n "$p" ] && alive "$p" || return 0
          ps -o args= -p "$p" | grep -qi "$3" || { echo "pid $p is not $3: left alone"; return 0; }
          kill -"$2" "$p"
          for _ in $(seq 200); do alive "$p" || break; sleep 0.05; done
          alive "$p" && kill -KILL "$p"
          echo "stopped $3 (pid $p)"
        }
        stop "{{PidFile(TempDirectory, MailService.Postfix)}}" TERM master
        stop "{{PidFile(TempDirectory, MailService.Dovecot)}}" TERM dovecot
        stop "{{PidFile(TempDirectory, MailService.Spamd)}}" TERM spamd
        stop "{{PidFile(TempDirectory, MailService.Unbound)}}" TERM unbound
        stop "{{PidFile(TempDirectory, MailService.Postgres)}}" INT postgres
        for h in "$T"/gnupg/*/; do [ -d "$h" ] && gpgconf --homedir "$h" --kill all; done
        dirs=$(postconf -c /etc/postfix -h alternate_config_directories | tr ', ' '\n\n' | grep -v '^$' | grep -vxF "$T/etc/postfix" | paste -sd, | sed 's/,/, /g')
        postconf -c /etc/postfix -e "alternate_config_directories = $dirs"
        rm -rf "$T" "{{MarkerFile}}"
        echo "mail stack $T stopped and deleted"

        """;
}
