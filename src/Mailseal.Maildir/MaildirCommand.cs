using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Configuration;
using Mailseal.Core.Keys;
using Mailseal.Core.Logging;
using Mailseal.Core.Messages;
using Mailseal.Core.OpenPgp;
using Serilog;
using Serilog.Events;

namespace Mailseal.Maildir;

/// <summary>
/// The definition of mailseal-maildir (options as fields, each also a name in the [maildir]
/// section of mailseal.conf) and its one action, <c>encrypt</c>: for each user and folder, a
/// <see cref="FolderEncryptor"/> run, then Dovecot told (force-resync) and its caches of the
/// old bodies dropped.
/// </summary>
internal sealed class MaildirCommand
{
    /// <summary>Files Dovecot keeps per folder that may hold parts of old bodies (header and snippet caches, squat search).</summary>
    internal static readonly string[] FolderCaches = ["dovecot.index.cache", "dovecot.index.search", "dovecot.index.search.uids"];

    /// <summary>Full-text-search index directories of the fts plugins, under the Maildir root.</summary>
    internal static readonly string[] FtsDirectories = ["lucene-indexes", "xapian-indexes", "fts-flatcurve"];

    private readonly ToolContext _context;
    private readonly Option<string> _keyDir = SharedOptions.KeyDir();
    private readonly Option<string> _database = SharedOptions.Database();
    private readonly Option<string> _localDomains = SharedOptions.LocalDomains();
    private readonly Option<string> _recipientDelimiter = SharedOptions.RecipientDelimiter();
    private readonly Option<string> _syslogSocket = SharedOptions.SyslogSocket();
    private readonly Option<int> _classifyLimit = SharedOptions.ClassifyLimit();
    private readonly Option<string[]> _user = new("--user") { Description = "The account whose Maildir is encrypted, to its key (key folder or database). Repeatable.", HelpName = "ADDRESS", AllowMultipleArgumentsPerToken = false };
    private readonly Option<bool> _allUsers = new("--all-users") { Description = "Every user Dovecot's userdb lists (doveadm user '*'; the SQL userdb needs iterate_query). For the timer." };
    private readonly Option<string> _maildir = new("--maildir") { Description = "The Maildir root (the directory holding cur/, new/, tmp/ and the .Folder directories); default: asked from Dovecot (userdb home and mail_location). Only with one --user.", HelpName = "PATH" };
    private readonly Option<string[]> _folder = new("--folder") { Description = "A folder by its IMAP name (INBOX, Sent, Archive/2023); repeatable; default: every folder.", HelpName = "NAME" };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Count what would be encrypted; write, rename and remove nothing." };
    private readonly Option<bool> _progress = new("--progress") { Description = "Print progress (counts, msg/s, MB/s) on stderr even when it is not a terminal." };
    private readonly Option<bool> _quiet = new("--quiet") { Description = "No summary on stdout (syslog still gets one line per folder)." };
    private readonly Option<int> _jobs = new("--jobs") { Description = "Messages encrypted at once (default: one per core).", HelpName = "N", DefaultValueFactory = _ => Environment.ProcessorCount };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Most messages committed under one hold of Dovecot's dovecot-uidlist.lock.", HelpName = "N", DefaultValueFactory = _ => 64 };
    private readonly Option<int> _lockTimeout = new("--lock-timeout") { Description = "Seconds to wait for dovecot-uidlist.lock while Dovecot holds it.", HelpName = "SECONDS", DefaultValueFactory = _ => 30 };
    private readonly Option<int> _folderLockTimeout = new("--folder-lock-timeout") { Description = "Seconds to wait while another mailseal-maildir run works on the same folder.", HelpName = "SECONDS", DefaultValueFactory = _ => 300 };
    private readonly Option<long> _maxMessageSize = new("--max-message-size") { Description = "Largest message file encrypted, in bytes; larger ones stay as they are and are counted.", HelpName = "BYTES", DefaultValueFactory = _ => 512L * 1024 * 1024 };
    private readonly Option<string> _doveadm = new("--doveadm") { Description = "The doveadm program; none = no Dovecot calls (no Maildir lookup, no user list, no force-resync).", HelpName = "PATH", DefaultValueFactory = _ => "doveadm" };
    private readonly Option<string> _dovecotConfig = new("--dovecot-config") { Description = "Dovecot's configuration file (or its config socket), passed to doveadm as -c; default: doveadm's.", HelpName = "FILE" };
    private readonly Option<int> _doveadmTimeout = new("--doveadm-timeout") { Description = "Seconds one doveadm call may take.", HelpName = "SECONDS", DefaultValueFactory = _ => 120 };
    private readonly Option<bool> _allowRoot = new("--allow-root") { Description = "Run as root (the files it writes are then owned by root: Dovecot may not read them). Run as the mail user instead." };
    private readonly Option<int> _startDelay = new("--start-delay") { Description = "Seconds to wait before starting (with --detach from imapsieve: lets the imap process finish its own reads of the message just saved).", HelpName = "SECONDS", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> _detach = new("--detach") { Description = "Return at once and work in the background (for imapsieve, so the client is not kept waiting); errors go to syslog." };

    public MaildirCommand(ToolContext context) => _context = context;

    public RootCommand Create()
    {
        var root = new RootCommand("Encrypt plaintext already stored in Maildir folders (Sent, old mail) in place, to each user's OpenPGP key, keeping UIDs, flags, keywords and INTERNALDATE.");
        var encrypt = new Command("encrypt", "Encrypt every plaintext message of the chosen users' folders in place.")
        {
            _user, _allUsers, _maildir, _folder, _keyDir, _database, _localDomains, _recipientDelimiter, _syslogSocket, _classifyLimit,
            _dryRun, _progress, _quiet, _jobs, _batchSize, _lockTimeout, _folderLockTimeout, _maxMessageSize, _doveadm, _dovecotConfig, _doveadmTimeout, _allowRoot, _startDelay, _detach,
        };
        foreach (var positive in new Option<int>[] { _jobs, _batchSize, _lockTimeout, _folderLockTimeout, _doveadmTimeout })
        {
            positive.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<int>() < 1)
                    r.AddError(positive.Name + " must be at least 1");
            });
        }

        encrypt.SetAction((parse, ct) => EncryptAsync(parse, ct));
        root.Subcommands.Add(encrypt);
        return root;
    }

    private async Task<int> EncryptAsync(ParseResult parse, CancellationToken ct)
    {
        if (Posix.EffectiveUserId == 0 && !parse.GetValue(_allowRoot))
            throw Fail("refusing to run as root: run as the mail user (e.g. runuser -u vmail --), or give --allow-root", "4.7.0");
        if (parse.GetValue(_detach))
            return Detach(parse);
        int startDelay = parse.GetValue(_startDelay);
        if (startDelay is < 0 or > 3600)
            throw Usage("--start-delay must be 0 to 3600");
        if (startDelay > 0)
            await Task.Delay(TimeSpan.FromSeconds(startDelay), ct).ConfigureAwait(false);

        var users = (parse.GetValue(_user) ?? []).ToList();
        bool allUsers = parse.GetValue(_allUsers);
        string? maildir = parse.GetValue(_maildir);
        if (users.Count == 0 && !allUsers)
            throw Usage("give --user ADDRESS (or --all-users)");
        if (maildir is not null && (users.Count != 1 || allUsers))
            throw Usage("--maildir goes with exactly one --user");

        var dovecot = new DovecotTools(parse.GetValue(_doveadm) ?? "doveadm", parse.GetValue(_dovecotConfig), TimeSpan.FromSeconds(parse.GetValue(_doveadmTimeout)));
        if (allUsers)
        {
            if (!dovecot.Enabled)
                throw Usage("--all-users asks Dovecot for the users: it needs --doveadm");
            users.AddRange(await dovecot.UsersAsync(ct).ConfigureAwait(false));
        }

        var options = new MaildirRunOptions
        {
            Jobs = parse.GetValue(_jobs),
            BatchSize = parse.GetValue(_batchSize),
            UidListLockTimeout = TimeSpan.FromSeconds(parse.GetValue(_lockTimeout)),
            FolderLockTimeout = TimeSpan.FromSeconds(parse.GetValue(_folderLockTimeout)),
            MaxMessageBytes = parse.GetValue(_maxMessageSize),
            DryRun = parse.GetValue(_dryRun),
            Encryption = MessageEncryptionOptions.Default with
            {
                Limits = MessageEncryptionOptions.Default.Limits with { MaxClassifyBytes = parse.GetValue(_classifyLimit) },
            },
        };

        using var log = MailsealLogging.Create(new LoggingOptions { ToolName = MaildirProgram.ToolName, Mode = LogMode.Filter, SyslogSocket = parse.GetValue(_syslogSocket) ?? ConfigurationDefaults.SyslogSocket });
        var directory = KeyDirectoryFactory.Create(parse.GetValue(_keyDir) ?? "", parse.GetValue(_database) ?? "", new KeyDirectoryOptions
        {
            LocalDomains = SharedValues.ParseDomains(parse.GetValue(_localDomains) ?? ""),
            RecipientDelimiter = parse.GetValue(_recipientDelimiter) ?? "",
        });
        using var progress = new ProgressReporter(_context.Error, parse.GetValue(_progress) || !Console.IsErrorRedirected);
        var clock = Stopwatch.StartNew();
        var results = new List<FolderResult>();
        string? firstFailure = null;
        try
        {
            foreach (string user in users.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                try
                {
                    await EncryptUserAsync(user, maildir, allUsers, parse.GetValue(_folder) ?? [], directory, dovecot, options, progress, results, log, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is MailsealException or IOException or UnauthorizedAccessException or TimeoutException or KeyDirectoryException or InvalidDataException or OpenPgpFormatException)
                {
                    // One user's trouble does not stop the others; the run still ends with 75.
                    firstFailure ??= user + ": " + e.Message;
                    log.Mail(new MailLogLine(null).Add("user", "<" + user + ">").Action("tempfail", e.Message), LogEventLevel.Warning);
                    // With one user the closing 4.x.x line says it all: one line, not two.
                    if (users.Count > 1)
                        await _context.Error.WriteLineAsync($"{MaildirProgram.ToolName}: {user}: {e.Message}".AsMemory(), ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            progress.Stop();
            if (directory is IAsyncDisposable d)
                await d.DisposeAsync().ConfigureAwait(false);
        }

        if (!parse.GetValue(_quiet))
            await WriteSummaryAsync(results, clock.Elapsed, options.DryRun, ct).ConfigureAwait(false);
        if (firstFailure is not null)
            throw Fail(firstFailure, "4.3.0");
        return ExitCodes.Ok;
    }

    private async Task EncryptUserAsync(string user, string? maildir, bool fromUserList, string[] folderNames, IKeyDirectory directory, DovecotTools dovecot,
        MaildirRunOptions options, ProgressReporter progress, List<FolderResult> results, ILogger log, CancellationToken ct)
    {
        if (maildir is null)
        {
            if (!dovecot.Enabled)
                throw Usage("give --maildir, or let mailseal-maildir ask Dovecot (--doveadm)");
            maildir = await dovecot.MaildirOfAsync(user, ct).ConfigureAwait(false);
        }

        if (!Directory.Exists(maildir))
        {
            // A listed user who never received or saved mail has no Maildir yet: nothing to do.
            if (fromUserList)
                return;
            throw Fail($"{maildir}: no such Maildir", "4.3.0");
        }

        var folders = folderNames.Length == 0
            ? MaildirFolder.All(maildir)
            : folderNames.Select(n => MaildirFolder.Named(maildir, n)).Where(f => Directory.Exists(f.CurPath)).ToList();
        // The key is needed only where there are messages: the timer's sweep of every user's Sent
        // must not fail for a user with no Sent folder, or an empty one, whatever their key.
        IReadOnlyList<EncryptionRecipient> keys = [];
        if (folders.Any(f => FolderEncryptor.ListNames(f.CurPath).Count > 0 || FolderEncryptor.ListNames(f.NewPath).Count > 0))
        {
            var found = await directory.LookupAsync(user, ct).ConfigureAwait(false);
            if (found.Recipient is null)
                throw Fail($"no usable key for <{user}>: {found.Reason ?? "not found"}", "4.7.5");
            keys = [found.Recipient];
        }

        foreach (var folder in folders)
        {
            // No force-resync before the run: it does not move new/ to cur/ (doveadm opens the
            // folder without MAILBOX_FLAG_DROP_RECENT, and maildir-sync.c moves new/ only with
            // that flag or maildir_empty_new = yes, when any sync already moves it). new/ waits
            // for a client's SELECT; the summary counts what is left there.
            var encryptor = new FolderEncryptor(folder, keys, options);
            progress.Start(user, encryptor.Result);
            var result = await encryptor.RunAsync(ct).ConfigureAwait(false);
            results.Add(result);
            if (!options.DryRun && (result.Encrypted > 0 || result.Recovered > 0))
            {
                // Dovecot's caches hold parts of the old bodies (headers, snippets, search data):
                // drop them, then let Dovecot rebuild the folder's index from the files.
                foreach (string cache in FolderCaches)
                    Posix.Unlink(Path.Combine(folder.Path, cache));
                if (dovecot.Enabled)
                {
                    try
                    {
                        await dovecot.ForceResyncAsync(user, folder.Name, ct).ConfigureAwait(false);
                    }
                    catch (MailsealException e)
                    {
                        // The files and dovecot-uidlist are already consistent (UIDs kept, cache
                        // dropped); the resync only refreshes Dovecot's index sooner. Say so, go on.
                        log.Mail(new MailLogLine(null).Add("user", "<" + user + ">").Add("folder", folder.Name).Action("warning", e.Message), LogEventLevel.Warning);
                        await _context.Error.WriteLineAsync($"{MaildirProgram.ToolName}: warning: {user} {folder.Name}: {e.Message}".AsMemory(), ct).ConfigureAwait(false);
                    }
                }
            }

            var line = new MailLogLine(null).Add("user", "<" + user + ">").Add("folder", folder.Name)
                .Action(options.DryRun ? "dry-run" : "done")
                .Add("encrypted", result.Encrypted.ToString(CultureInfo.InvariantCulture))
                .Add("already-encrypted", result.AlreadyEncrypted.ToString(CultureInfo.InvariantCulture))
                .Add("vanished", result.Vanished.ToString(CultureInfo.InvariantCulture))
                .Add("too-large", result.TooLarge.ToString(CultureInfo.InvariantCulture))
                .Add("recovered", result.Recovered.ToString(CultureInfo.InvariantCulture));
            log.Mail(line);
        }

        if (!options.DryRun && results.Any(r => r.Encrypted > 0))
        {
            foreach (string fts in FtsDirectories)
            {
                string path = Path.Combine(maildir, fts);
                if (Directory.Exists(path))
                    Directory.Delete(path, recursive: true);
            }
        }
    }

    private async Task WriteSummaryAsync(List<FolderResult> results, TimeSpan elapsed, bool dryRun, CancellationToken ct)
    {
        var w = _context.Out;
        string verb = dryRun ? "to encrypt" : "encrypted";
        foreach (var r in results)
        {
            await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{r.Name}: {r.Total} messages: {r.Encrypted} {verb}, {r.AlreadyEncrypted} already encrypted, {r.Vanished} vanished (expunged or moved while working), {r.TooLarge} over --max-message-size, {r.InNew} in new/ (left for the next run), {r.Recovered} recovered from an interrupted run").AsMemory(), ct).ConfigureAwait(false);
        }

        long encrypted = results.Sum(r => r.Encrypted);
        long done = results.Sum(r => r.Done);
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-3);
        double mb = results.Sum(r => r.BytesIn) / 1e6;
        await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"total: {done} messages in {results.Count} folders, {encrypted} {verb}, {results.Sum(r => r.AlreadyEncrypted)} already encrypted, {seconds:0.00} s, {done / seconds:0.0} msg/s, {mb / seconds:0.00} MB/s").AsMemory(), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The shell that runs the detached tool (in its own session, from setsid -f): the tool in
    /// the background with its stdio on /dev/null, its pid on stdout for the caller's log line,
    /// then a wait for it. An exit the tool cannot report itself (killed by a signal, an abort
    /// of the runtime, a usage error found after detaching) would otherwise leave no trace: the
    /// shell says it in one syslog line with logger(1), under the tool's name and pid.
    /// $1 is the syslog socket, $2 the start of the line (who), the rest the command.
    /// </summary>
    internal const string DetachScript = """
        sock=$1; who=$2; shift 2
        "$@" </dev/null >/dev/null 2>&1 &
        pid=$!
        echo "$pid"
        exec </dev/null >/dev/null 2>&1
        wait "$pid"
        rc=$?
        [ "$rc" -eq 0 ] && exit 0
        why="exit status $rc"
        [ "$rc" -gt 128 ] && why="signal $((rc - 128)) (a limit inherited from the process that started it, such as Dovecot's vsz_limit? see docs/maildir.md)"
        [ -x /usr/bin/logger ] && /usr/bin/logger -u "$sock" -p mail.err -t mailseal-maildir --id="$pid" "$who, action=failed, detached run ended with $why"
        exit "$rc"
        """;

    /// <summary>
    /// Starts this program again without --detach in its own session (setsid -f, through
    /// <see cref="DetachScript"/>), logs the detached run's pid to syslog, and returns at once.
    /// </summary>
    private int Detach(ParseResult parse)
    {
        string self = Environment.ProcessPath ?? throw Fail("cannot find this program's path to detach", "4.3.0");
        var args = parse.Tokens.Select(t => t.Value).Where(v => !string.Equals(v, "--detach", StringComparison.Ordinal)).ToList();
        string syslogSocket = parse.GetValue(_syslogSocket) ?? ConfigurationDefaults.SyslogSocket;
        var users = parse.GetValue(_user) ?? [];
        string userName = users.Length == 1 ? "user" : "users";
        string userValue = users.Length == 1 ? "<" + users[0] + ">" : users.Length == 0 ? "all" : string.Join(' ', users);
        // the shell's line has the shape of the tool's own (a MailLogLine without a queue id)
        string who = new MailLogLine(null).Add(userName, userValue).ToString();
        // Absolute paths: Dovecot runs sieve programs with an empty PATH.
        // setsid -f: a new session, so the imap process (or sieve) does not wait for it; the
        // multi-call binary is told the tool by name, as "mailseal-tools mailseal-maildir ...".
        var psi = new ProcessStartInfo(File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : "/bin/setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(DetachScript);
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(syslogSocket);
        psi.ArgumentList.Add(who);
        psi.ArgumentList.Add(self);
        if (!string.Equals(Path.GetFileName(self), MaildirProgram.ToolName, StringComparison.Ordinal))
            psi.ArgumentList.Add(MaildirProgram.ToolName);
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw Fail("cannot start setsid to detach", "4.3.0");
        p.StandardInput.Close();
        // EOF once setsid has exited and the shell has moved its stdout to /dev/null
        string pid = (p.StandardOutput.ReadToEnd() ?? string.Empty).Trim();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw Fail($"setsid exited {p.ExitCode}", "4.3.0");
        using var log = MailsealLogging.Create(new LoggingOptions { ToolName = MaildirProgram.ToolName, Mode = LogMode.Filter, SyslogSocket = syslogSocket });
        log.Mail(new MailLogLine(null).Add(userName, userValue).Action("detached").Add("pid", pid.Length > 0 ? pid : "unknown"));
        return ExitCodes.Ok;
    }

    private static MailsealException Fail(string message, string status) => new(message, status, isTransient: true, ExitCodes.TempFail, null);

    private static MailsealException Usage(string message) => new(message, "4.3.5", isTransient: false, ExitCodes.Usage, null);
}
