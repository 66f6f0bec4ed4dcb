using System.Text;
using MailKit;
using Mailseal.EndToEnd.Tests.Harness;
using MimeKit;

namespace Mailseal.EndToEnd.Tests.Maildir;

/// <summary>
/// mailseal-maildir against the real Dovecot: mail appended over IMAP, the native tool run as
/// the mail user, the result read back over IMAP (UIDs, flags, keywords, INTERNALDATE, count)
/// and decrypted by gpg; the marker planted in every body searched for on disk.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class MaildirStackTests(MailStack stack)
{
    private static readonly string[] FolderNames = ["INBOX", "Sent", "Archive"];

    [Fact]
    public async Task A_thousand_message_mailbox_is_encrypted_in_place_with_uids_flags_and_dates_kept_and_no_plaintext_left_on_disk()
    {
        var account = await stack.CreateAccountAsync($"maildir-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
        string marker = "MAILDIR-MARKER-" + Guid.NewGuid().ToString("N");
        var appended = await AppendAsync(account, marker, 1000);
        using (var select = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password))
        {
            // a client's SELECT: Dovecot moves messages appended without flags from new/ to cur/
            foreach (string name in FolderNames)
                await (await select.GetFolderAsync(name)).OpenAsync(FolderAccess.ReadWrite);
            await select.DisconnectAsync(true);
        }

        var before = await SnapshotAsync(account);
        Assert.Equal(1000, before.Values.Sum(f => f.Count));

        var run = await RunToolAsync(account, ["--progress"]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("1000 encrypted", run.StandardOutput, StringComparison.Ordinal);
        var after = await SnapshotAsync(account);
        foreach (string folder in FolderNames)
        {
            Assert.Equal(before[folder].Count, after[folder].Count);
            foreach (var (uid, b) in before[folder])
            {
                Assert.True(after[folder].TryGetValue(uid, out var a), $"{folder} UID {uid} is gone");
                Assert.Equal(b.Flags, a.Flags);
                Assert.Equal(b.Keywords, a.Keywords);
                Assert.Equal(b.InternalDate, a.InternalDate);
                Assert.Equal(b.MessageId, a.MessageId);
            }
        }

        await AssertEveryMessageDecryptsAsync(account, appended, marker);
        await AssertMarkerNowhereOnDiskAsync(account, marker);
        AssertDovecotSawNoDuplicates();
    }

    [Fact]
    public async Task Killed_at_random_points_of_a_thousand_message_run_and_restarted_until_done_every_message_is_there_once_and_encrypted()
    {
        var account = await stack.CreateAccountAsync($"kill-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
        string marker = "KILL-MARKER-" + Guid.NewGuid().ToString("N");
        var appended = await AppendAsync(account, marker, 1000);
        using (var select = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password))
        {
            foreach (string name in FolderNames)
                await (await select.GetFolderAsync(name)).OpenAsync(FolderAccess.ReadWrite);
            await select.DisconnectAsync(true);
        }

        var before = await SnapshotAsync(account);
        string maildir = Path.Combine(stack.MailRoot, account.Maildir, "Maildir");
        var folders = new[] { maildir, Path.Combine(maildir, ".Sent"), Path.Combine(maildir, ".Archive") };
        var expected = folders.ToDictionary(f => f, f => UniqueNames(f).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        Assert.Equal(1000, expected.Values.Sum(e => e.Count));
        var originals = folders.SelectMany(f => Directory.GetFiles(Path.Combine(f, "cur")))
            .ToDictionary(f => Path.GetFileName(f).Split(',', ':')[0], File.ReadAllBytes, StringComparer.Ordinal);

        string tools = await stack.ToolsDirectoryAsync();
        string dir = Path.Combine(stack.TempDirectory, "maildir-tool");
        string keys = Path.Combine(dir, "keys");
        Directory.CreateDirectory(keys);
        await File.WriteAllTextAsync(Path.Combine(keys, account.Email + ".asc"), account.Key.PublicKeyArmored);
        string config = Path.Combine(dir, "empty.conf");
        await File.WriteAllTextAsync(config, string.Empty);
        await ProcessRunner.RunCheckedAsync("chmod", ["-R", "a+rX", dir]);
        await MailUserReadsDovecotConfigAsync();
        var random = new Random(20261204);
        int kills = 0, runs = 0;
        while (true)
        {
            runs++;
            // setpriv execs the tool (runuser would fork and wait): the kill reaches the tool itself
            var psi = new System.Diagnostics.ProcessStartInfo("setpriv") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "--reuid", MailStack.VmailUser, "--regid", MailStack.VmailUser, "--init-groups", "--",
                Path.Combine(tools, "mailseal-maildir"), "encrypt", "--config", config, "--user", account.Email, "--key-dir", keys,
                "--dovecot-config", stack.DovecotConfigFile, "--quiet", "--syslog-socket", Path.Combine(dir, "no-syslog") })
                psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            p.StandardInput.Close();
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEndAsync();
            // 10 runs killed at a random moment (start-up, doveadm, encrypting, committing), then one let finish
            bool exited = runs > 10 ? p.WaitForExit(TimeSpan.FromMinutes(10)) : p.WaitForExit(random.Next(50, 400 + 200 * runs));
            Assert.True(exited || runs <= 10, "the last run did not finish in 10 minutes");
            if (exited)
            {
                Assert.True(p.ExitCode == 0, $"run {runs} exited {p.ExitCode}: {await stderr}");
                break;
            }

            p.Kill(); // SIGKILL
            await p.WaitForExitAsync();
            await Task.WhenAll(stderr, stdout);
            kills++;
            // never neither: each message is there, as its plaintext or as ciphertext; two files
            // for one only while the tool's journal names the commit (the next run finishes it)
            foreach (string folder in folders)
                AssertEachMessagePresent(folder, expected[folder], originals);
        }

        Assert.True(kills >= 3, $"only {kills} kills: the test did not interrupt the tool");
        foreach (string folder in folders)
        {
            Assert.Equal(expected[folder].Order(StringComparer.Ordinal), UniqueNames(folder).Order(StringComparer.Ordinal));
            Assert.Empty(Directory.GetFiles(Path.Combine(folder, "tmp")));
            Assert.False(File.Exists(Path.Combine(folder, "dovecot-uidlist.lock")));
        }

        var after = await SnapshotAsync(account);
        foreach (string folder in FolderNames)
        {
            Assert.Equal(before[folder].Count, after[folder].Count);
            foreach (var (uid, b) in before[folder])
                Assert.Equal(b, after[folder].GetValueOrDefault(uid));
        }
        await AssertEveryMessageDecryptsAsync(account, appended, marker);
        await AssertMarkerNowhereOnDiskAsync(account, marker);
        AssertDovecotSawNoDuplicates();
    }

    /// <summary>The unique parts (before the first comma or colon) of the files in a folder's cur/.</summary>
    private static List<string> UniqueNames(string folder) =>
        Directory.GetFiles(Path.Combine(folder, "cur")).Select(f => Path.GetFileName(f).Split(',', ':')[0]).ToList();

    private static void AssertEachMessagePresent(string folder, HashSet<string> expected, Dictionary<string, byte[]> originals)
    {
        bool journal = File.Exists(Path.Combine(folder, "mailseal-maildir.journal"));
        var byUnique = Directory.GetFiles(Path.Combine(folder, "cur")).GroupBy(f => Path.GetFileName(f).Split(',', ':')[0], StringComparer.Ordinal).ToList();
        foreach (var g in byUnique)
        {
            Assert.True(expected.Contains(g.Key), "a file that was not there before: " + g.First());
            Assert.True(g.Count() == 1 || journal, $"{g.Count()} files for {g.Key} and no journal");
            foreach (string f in g)
            {
                byte[] bytes = File.ReadAllBytes(f);
                Assert.True(bytes.AsSpan().SequenceEqual(originals[g.Key]) || Encoding.ASCII.GetString(bytes).Contains("multipart/encrypted", StringComparison.Ordinal), "neither the original bytes nor ciphertext: " + f);
            }
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), byUnique.Select(g => g.Key).Order(StringComparer.Ordinal));
    }

    /// <summary>Every message of every folder, fetched over IMAP, is ciphertext that gpg decrypts to the body appended.</summary>
    private async Task AssertEveryMessageDecryptsAsync(MailAccount account, Dictionary<string, string> appended, string marker)
    {
        using var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password);
        foreach (string name in FolderNames)
        {
            var folder = await imap.GetFolderAsync(name);
            await folder.OpenAsync(FolderAccess.ReadOnly);
            var summaries = await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope);
            foreach (var s in summaries)
            {
                using var raw = await folder.GetStreamAsync(s.UniqueId, string.Empty);
                using var copy = new MemoryStream();
                await raw.CopyToAsync(copy);
                string stored = Encoding.UTF8.GetString(copy.ToArray());
                Assert.DoesNotContain(marker, stored, StringComparison.Ordinal);
                var decrypted = await ProcessRunner.RunAsync("gpg", ["--homedir", account.Key.GnupgHome, "--batch", "--quiet", "--decrypt"], stored);
                Assert.True(decrypted.ExitCode == 0, decrypted.StandardError);
                Assert.Contains(appended[s.Envelope!.MessageId!], decrypted.StandardOutput.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            }
        }

        await imap.DisconnectAsync(true);
    }

    private void AssertDovecotSawNoDuplicates()
    {
        string log = File.ReadAllText(Path.Combine(stack.LogDirectory, "dovecot.log"));
        Assert.DoesNotContain("Duplicate file entry", log, StringComparison.Ordinal);
        Assert.DoesNotContain("has wrong", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_delivered_by_lmtp_while_the_tool_runs_is_neither_lost_nor_duplicated()
    {
        var account = await stack.CreateAccountAsync($"maildir-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
        string marker = "LMTP-MARKER-" + Guid.NewGuid().ToString("N");
        await AppendAsync(account, marker, 600, ["INBOX"]);

        var tool = RunToolAsync(account, []);
        var sent = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            string id = $"<lmtp-{i}-{Guid.NewGuid():N}@client.example.org>";
            string message = $"From: <someone@example.org>\r\nTo: <{account.Email}>\r\nSubject: during {i}\r\nMessage-ID: {id}\r\n\r\n{marker} {i}\r\n";
            await stack.SendAsync("someone@example.org", [account.Email], message);
            sent.Add(id);
        }

        var first = await tool;
        Assert.True(first.ExitCode == 0, first.Output);
        await stack.WaitForMessagesAsync(account, 640, TimeSpan.FromSeconds(60));
        using (var select = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password))
        {
            // a client's SELECT: Dovecot moves what LMTP put in new/ to cur/, where the tool works
            // (doveadm force-resync does not: only a session that may drop \Recent moves them)
            await select.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await select.DisconnectAsync(true);
        }

        var second = await RunToolAsync(account, []);
        Assert.True(second.ExitCode == 0, second.Output);

        using var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var all = await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope);
        Assert.Equal(640, all.Count);
        var ids = all.Select(s => s.Envelope!.MessageId!).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        foreach (string id in sent)
            Assert.Contains(id.Trim('<', '>'), ids);
        await AssertMarkerNowhereOnDiskAsync(account, marker);
    }

    [Fact]
    public async Task A_message_appended_to_sent_is_stored_encrypted_within_a_minute_by_the_imapsieve_trigger()
    {
        var account = await stack.CreateAccountAsync($"sent-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
        string marker = "SENT-MARKER-" + Guid.NewGuid().ToString("N");
        string tools = await stack.ToolsDirectoryAsync();
        string dir = Path.Combine(stack.TempDirectory, "maildir-tool");
        string sieve = Path.Combine(stack.TempDirectory, "sieve");
        Directory.CreateDirectory(Path.Combine(sieve, "bin"));
        string keys = Path.Combine(dir, "keys");
        Directory.CreateDirectory(keys);
        await File.WriteAllTextAsync(Path.Combine(keys, account.Email + ".asc"), account.Key.PublicKeyArmored);
        string config = Path.Combine(dir, "imapsieve.conf");
        using var syslog = new SyslogListener(Path.Combine(dir, "syslog-" + Guid.NewGuid().ToString("N")[..8]));
        await File.WriteAllTextAsync(config, $"key_dir = {keys}\nsyslog_socket = {syslog.Path}\n[maildir]\ndovecot_config = {stack.DovecotConfigFile}\n");
        var vars = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SIEVE_DIR"] = sieve,
            ["MAILSEAL_BIN_DIR"] = tools,
            ["MAILSEAL_CONF"] = config,
            ["MAILDIR_NAME"] = "Maildir",
        };
        string confD = Path.Combine(stack.TempDirectory, "etc", "dovecot", "conf.d");
        await stack.ApplyFragmentsAsync(confD, ["dovecot/90-mailseal-imapsieve.conf"], vars);
        await stack.ApplyFragmentsAsync(sieve, ["dovecot/mailseal-sent.sieve"], vars);
        await stack.ApplyFragmentsAsync(Path.Combine(sieve, "bin"), ["dovecot/mailseal-maildir-sent"], vars);
        await ProcessRunner.RunCheckedAsync("chmod", ["0755", Path.Combine(sieve, "bin", "mailseal-maildir-sent")]);
        await ProcessRunner.RunCheckedAsync("sievec", ["-c", stack.DovecotConfigFile, Path.Combine(sieve, "mailseal-sent.sieve")]);
        await ProcessRunner.RunCheckedAsync("chmod", ["-R", "a+rX", sieve, dir]);
        await ProcessRunner.RunCheckedAsync("chmod", ["a+rw", syslog.Path]);
        // a capability of the test's own, beside the imapsieve settings: a login that shows it gets
        // the reloaded configuration (imapsieve_url would do too, but it also turns on per-user
        // scripts, which need mailbox attributes)
        // mail_debug: Pigeonhole then logs each imapsieve event, the script run and the program's
        // fork and exit status, so a failure below says how far the trigger got
        string url = Path.Combine(confD, "91-test-reload-marker.conf");
        await File.WriteAllTextAsync(url, $"imap_capability = +{ReloadMarker}\nmail_debug = yes\n");
        await ProcessRunner.RunCheckedAsync("chmod", ["0644", url]);
        await ReloadDovecotAsync(account, imapSieve: true);
        try
        {
            using var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password);
            var sent = (await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Sent", true))!;
            var message = new MimeMessage(new[] { MailboxAddress.Parse(account.Email) }, new[] { new MailboxAddress("Carol", "carol@example.org") }, "sent by a client", new TextPart("plain") { Text = "Hello Carol, " + marker + "\n" });
            var date = new DateTimeOffset(2024, 2, 29, 12, 34, 56, TimeSpan.Zero);
            var uid = await sent.AppendAsync(new AppendRequest(message, MessageFlags.Seen, ["$Label1"]) { InternalDate = date });
            Assert.NotNull(uid);

            string cur = Path.Combine(stack.MailRoot, account.Maildir, "Maildir", ".Sent", "cur");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            var files = ReadFolder(cur);
            while (!(files.Count == 1 && files[0].Contains("multipart/encrypted", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
                files = ReadFolder(cur);
            }

            if (!(files.Count == 1 && files[0].Contains("multipart/encrypted", StringComparison.Ordinal)))
                Assert.Fail($"Sent holds {files.Count} file(s), not one encrypted message, after 60 s\n" + await TriggerDiagnosticsAsync(account, syslog, Path.GetDirectoryName(cur)!));
            // the trigger's run says which process does the work, and that process reports it
            // (its line follows the rename the poll above saw: wait for it, bounded)
            var logged = new List<string>();
            for (var until = DateTime.UtcNow.AddSeconds(30); !logged.Any(l => l.Contains("action=done", StringComparison.Ordinal)) && DateTime.UtcNow < until;)
                logged.AddRange(syslog.Drain());
            var detached = logged.Select(l => System.Text.RegularExpressions.Regex.Match(l, $@"user=<{System.Text.RegularExpressions.Regex.Escape(account.Email)}>, action=detached, pid=(\d+)")).FirstOrDefault(m => m.Success);
            Assert.True(detached is not null, "no action=detached line: " + string.Join('\n', logged));
            Assert.Contains(logged, l => l.Contains($"mailseal-maildir[{detached.Groups[1].Value}]: NOQUEUE: user=<{account.Email}>, folder=Sent, action=done, encrypted=1,", StringComparison.Ordinal));
            await sent.OpenAsync(FolderAccess.ReadOnly);
            var items = await sent.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate);
            var item = Assert.Single(items);
            Assert.Equal(uid!.Value, item.UniqueId);
            Assert.Equal(MessageFlags.Seen, item.Flags & ~MessageFlags.Recent);
            Assert.Contains("$Label1", item.Keywords);
            Assert.Equal(date, item.InternalDate);
            using var raw = await sent.GetStreamAsync(item.UniqueId, string.Empty);
            using var copy = new MemoryStream();
            await raw.CopyToAsync(copy);
            var decrypted = await ProcessRunner.RunAsync("gpg", ["--homedir", account.Key.GnupgHome, "--batch", "--quiet", "--decrypt"], Encoding.UTF8.GetString(copy.ToArray()));
            Assert.Contains(marker, decrypted.StandardOutput, StringComparison.Ordinal);
            await AssertMarkerNowhereOnDiskAsync(account, marker);
        }
        finally
        {
            File.Delete(Path.Combine(confD, "90-mailseal-imapsieve.conf"));
            File.Delete(url);
            await ReloadDovecotAsync(account, imapSieve: false);
        }
    }

    /// <summary>
    /// The shipped Sent wrapper (dovecot/mailseal-maildir-sent) run as Dovecot runs it from an
    /// imap process: as the mail user, with only USER and HOME, under the imap service's default
    /// vsz_limit (Dovecot's default_vsz_limit, 256 MB, set as RLIMIT_AS and RLIMIT_DATA and
    /// inherited by the program and the detached run), and with the thread pool of a 16-core
    /// machine (DOTNET_PROCESSOR_COUNT). Unwired, the detached .NET run died there of SIGSEGV or
    /// an out-of-memory abort now and then, silently: the imapsieve test failed in one CI run
    /// of three. Every one of these runs must encrypt its message.
    /// </summary>
    [Fact]
    public async Task The_sent_wrapper_and_its_detached_run_fit_in_dovecots_default_vsz_limit()
    {
        const int Runs = 12;
        string tools = await stack.ToolsDirectoryAsync();
        string dir = Path.Combine(stack.TempDirectory, "maildir-vsz");
        string bin = Path.Combine(dir, "bin");
        string keys = Path.Combine(dir, "keys");
        Directory.CreateDirectory(bin);
        Directory.CreateDirectory(keys);
        var key = await stack.GenerateKeyAsync($"vsz-{Guid.NewGuid():N}"[..12] + "@" + MailStack.Domain);
        await File.WriteAllTextAsync(Path.Combine(keys, key.Email + ".asc"), key.PublicKeyArmored);
        using var syslog = new SyslogListener(Path.Combine(dir, "syslog"));
        string config = Path.Combine(dir, "mailseal.conf");
        await File.WriteAllTextAsync(config, $"key_dir = {keys}\nsyslog_socket = {syslog.Path}\n");
        await stack.ApplyFragmentsAsync(bin, ["dovecot/mailseal-maildir-sent"], new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MAILSEAL_BIN_DIR"] = tools,
            ["MAILSEAL_CONF"] = config,
            ["MAILDIR_NAME"] = "Maildir",
        });
        string wrapper = Path.Combine(bin, "mailseal-maildir-sent");
        await ProcessRunner.RunCheckedAsync("chmod", ["-R", "a+rX", dir]);
        await ProcessRunner.RunCheckedAsync("chmod", ["0755", wrapper]);
        await ProcessRunner.RunCheckedAsync("chmod", ["a+rw", syslog.Path]);
        string limit = (256L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var failures = new List<string>();
        for (int run = 0; run < Runs; run++)
        {
            string home = Path.Combine(stack.MailRoot, $"vsz-{run}-{Guid.NewGuid():N}"[..16]);
            string cur = Path.Combine(home, "Maildir", ".Sent", "cur");
            foreach (string sub in new[] { "cur", "new", "tmp" })
                Directory.CreateDirectory(Path.Combine(home, "Maildir", ".Sent", sub));
            string message = $"From: <{key.Email}>\nTo: <carol@example.org>\nSubject: sent {run}\nMessage-ID: <vsz-{run}@example.test>\n\nrun {run}\n";
            string unique = $"17000000{run:D2}.M{run}P1.{MailStack.HostName}";
            int size = Encoding.UTF8.GetByteCount(message);
            await File.WriteAllTextAsync(Path.Combine(cur, $"{unique},S={size},W={size + message.Count(c => c == '\n')}:2,S"), message);
            await File.WriteAllTextAsync(Path.Combine(home, "Maildir", ".Sent", "dovecot-uidlist"), $"3 V1700000000 N2 G0123456789abcdef0123456789abcdef\n1 :{unique},S={size},W={size + message.Count(c => c == '\n')}\n");
            await ProcessRunner.RunCheckedAsync("chown", ["-R", $"{MailStack.VmailUser}:{MailStack.VmailUser}", home]);

            var start = await ProcessRunner.RunAsync("setpriv", ["--reuid", MailStack.VmailUser, "--regid", MailStack.VmailUser, "--clear-groups", "--",
                "env", "-i", $"USER={key.Email}", $"HOME={home}", "DOTNET_PROCESSOR_COUNT=16",
                "prlimit", $"--as={limit}", $"--data={limit}", "--", wrapper]);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!ReadFolder(cur).All(f => f.Contains("multipart/encrypted", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
                await Task.Delay(200);
            if (start.ExitCode != 0 || !ReadFolder(cur).All(f => f.Contains("multipart/encrypted", StringComparison.Ordinal)))
                failures.Add($"run {run}: wrapper exited {start.ExitCode} {start.StandardError.Trim()}, Sent still plaintext after 30 s");
        }

        var lines = syslog.Drain();
        Assert.True(failures.Count == 0, $"{failures.Count} of {Runs} runs failed:\n{string.Join('\n', failures)}\nsyslog:\n{string.Join('\n', lines)}");
        Assert.Equal(Runs, lines.Count(l => l.Contains("action=detached, pid=", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains("action=failed", StringComparison.Ordinal));
    }

    /// <summary>
    /// What tells why the imapsieve trigger did not encrypt: the tool's syslog lines, Dovecot's
    /// log lines about this user and sieve (mail_debug), the mailseal-maildir processes still
    /// alive, and the folder's files.
    /// </summary>
    private async Task<string> TriggerDiagnosticsAsync(MailAccount account, SyslogListener syslog, string folder)
    {
        var sb = new StringBuilder();
        sb.Append("--- syslog (").Append(syslog.Path).Append(")\n");
        foreach (string line in syslog.Drain())
            sb.Append(line).Append('\n');
        sb.Append("--- dovecot.log, lines about ").Append(account.Email).Append(" or sieve\n");
        string log = Path.Combine(stack.LogDirectory, "dovecot.log");
        foreach (string line in File.Exists(log) ? File.ReadLines(log) : [])
        {
            if (line.Contains(account.Email, StringComparison.OrdinalIgnoreCase) || line.Contains("sieve", StringComparison.OrdinalIgnoreCase) || line.Contains("program", StringComparison.OrdinalIgnoreCase))
                sb.Append(line).Append('\n');
        }

        var ps = await ProcessRunner.RunAsync("ps", ["-eo", "pid,ppid,user,stat,etime,args"]);
        sb.Append("--- mailseal processes\n");
        foreach (string line in ps.StandardOutput.Split('\n').Where(l => l.Contains("mailseal", StringComparison.Ordinal) || l.Contains("setsid", StringComparison.Ordinal)))
            sb.Append(line).Append('\n');
        foreach (string sub in new[] { "cur", "new", "tmp" })
        {
            string d = Path.Combine(folder, sub);
            sb.Append("--- ").Append(d).Append('\n');
            foreach (string f in Directory.Exists(d) ? Directory.GetFiles(d) : [])
                sb.Append(Path.GetFileName(f)).Append(' ').Append(new FileInfo(f).Length).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// The files of a cur/ directory, read. Polled while the tool commits, it may see both names
    /// of one message (between the rename and the unlink, under Dovecot's lock) or a name that
    /// is gone by the time it is read: both are states on the way, not results.
    /// </summary>
    private static List<string> ReadFolder(string cur)
    {
        var contents = new List<string>();
        foreach (string file in Directory.Exists(cur) ? Directory.GetFiles(cur) : [])
        {
            try
            {
                contents.Add(File.ReadAllText(file));
            }
            catch (FileNotFoundException)
            {
                // renamed or unlinked since the listing; the next poll sees the new state
            }
        }

        return contents;
    }

    private const string ReloadMarker = "X-MAILSEAL-TEST-RELOADED";

    /// <summary>
    /// doveadm reload, then wait (bounded) until a new login gets the reloaded configuration, with
    /// or without the imapsieve settings as <paramref name="imapSieve"/> says: the test's conf.d
    /// file that comes and goes with them adds <see cref="ReloadMarker"/> to the capabilities.
    /// A fixed sleep after the reload is a guess that loses under load (a login 2 s after the
    /// reload once got an imap process without imap_sieve, and the trigger never ran).
    /// </summary>
    private async Task ReloadDovecotAsync(MailAccount account, bool imapSieve)
    {
        await ProcessRunner.RunCheckedAsync("doveadm", ["-c", stack.DovecotConfigFile, "reload"]);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string capabilities = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                capabilities = await LoginCapabilitiesAsync(account);
                if (capabilities.Contains(ReloadMarker, StringComparison.Ordinal) == imapSieve)
                    return;
            }
            catch (IOException)
            {
                // the reload restarts the listeners: try again
            }
            catch (System.Net.Sockets.SocketException)
            {
            }

            await Task.Delay(200);
        }

        Assert.Fail($"after doveadm reload, imap_sieve is still {(imapSieve ? "off" : "on")} after 60 s: {capabilities}\n" + stack.TailLog(Harness.MailService.Dovecot));
    }

    /// <summary>The tagged OK of an IMAP LOGIN, which carries the logged-in imap process's CAPABILITY list.</summary>
    private async Task<string> LoginCapabilitiesAsync(MailAccount account)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, stack.ImapPort, cts.Token);
        using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await reader.ReadLineAsync(cts.Token); // greeting
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"a1 LOGIN \"{account.Email}\" \"{account.Password}\"\r\n"), cts.Token);
        while (await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("a1 ", StringComparison.Ordinal))
                return line;
        }

        throw new IOException("IMAP connection closed before the LOGIN reply");
    }

    [Fact]
    public async Task As_the_mail_user_the_tool_asks_dovecot_for_the_maildir_and_resyncs_the_folder_it_changed()
    {
        var account = await stack.CreateAccountAsync($"resync-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
        string marker = "RESYNC-MARKER-" + Guid.NewGuid().ToString("N");
        var uids = new List<UniqueId>();
        using (var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password))
        {
            // appended with \Seen: Dovecot stores them in cur/
            for (int i = 0; i < 5; i++)
            {
                var message = new MimeMessage(new[] { new MailboxAddress("Alice", "alice@example.org") }, new[] { MailboxAddress.Parse(account.Email) }, $"new {i}", new TextPart("plain") { Text = $"{marker} {i}\n" });
                uids.Add((await imap.Inbox.AppendAsync(new AppendRequest(message, MessageFlags.Seen)))!.Value);
            }

            await imap.DisconnectAsync(true);
        }

        string maildir = Path.Combine(stack.MailRoot, account.Maildir, "Maildir");
        Assert.Equal(5, Directory.GetFiles(Path.Combine(maildir, "cur")).Length);

        var run = await RunToolAsync(account, []);

        // no --maildir, no --doveadm none: doveadm user (home, mail) and force-resync ran as vmail
        // (a failing force-resync would be a warning on stderr)
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("5 encrypted", run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", run.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(Directory.GetFiles(Path.Combine(maildir, "new")));
        using (var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password))
        {
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
            var items = await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId);
            Assert.Equal(uids, items.Select(i => i.UniqueId).ToList());
            foreach (var item in items)
            {
                using var raw = await imap.Inbox.GetStreamAsync(item.UniqueId, string.Empty);
                using var copy = new MemoryStream();
                await raw.CopyToAsync(copy);
                var decrypted = await ProcessRunner.RunAsync("gpg", ["--homedir", account.Key.GnupgHome, "--batch", "--quiet", "--decrypt"], Encoding.UTF8.GetString(copy.ToArray()));
                Assert.True(decrypted.ExitCode == 0, decrypted.StandardError);
                Assert.Contains(marker, decrypted.StandardOutput, StringComparison.Ordinal);
            }
        }

        await AssertMarkerNowhereOnDiskAsync(account, marker);
    }

    [Fact]
    public async Task The_timer_units_command_encrypts_every_users_sent_folder_and_a_second_run_changes_nothing()
    {
        var users = new List<MailAccount>();
        string marker = "TIMER-MARKER-" + Guid.NewGuid().ToString("N");
        for (int u = 0; u < 2; u++)
        {
            var account = await stack.CreateAccountAsync($"timer-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
            users.Add(account);
            using var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password);
            var sent = (await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Sent", true))!;
            for (int i = 0; i < 3; i++)
            {
                var message = new MimeMessage(new[] { MailboxAddress.Parse(account.Email) }, new[] { new MailboxAddress("Carol", "carol@example.org") }, $"sent {i}", new TextPart("plain") { Text = $"{marker} {u} {i}\n" });
                // with \Seen, as clients save Sent (without any flag it would wait in new/ for a SELECT)
                await sent.AppendAsync(new AppendRequest(message, MessageFlags.Seen));
            }

            await imap.DisconnectAsync(true);
        }

        // the command and user of packaging/systemd/mailseal-maildir.service, as systemd would run it
        // (no systemd here): only the configuration file is this run's (database: the accounts table)
        string unit = await File.ReadAllTextAsync(Path.Combine(MailStack.RepositoryRoot, "packaging", "systemd", "mailseal-maildir.service"));
        string[] command = UnitValue(unit, "ExecStart").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string user = UnitValue(unit, "User");
        Assert.Equal("/usr/bin/mailseal-maildir", command[0]);
        string tools = await stack.ToolsDirectoryAsync();
        string dir = Path.Combine(stack.TempDirectory, "maildir-timer");
        Directory.CreateDirectory(Path.Combine(dir, "keys"));
        string config = Path.Combine(dir, "mailseal.conf");
        await File.WriteAllTextAsync(config, $"key_dir = {dir}/keys\ndatabase = {stack.ReaderConnectionString}\nsyslog_socket = {dir}/no-syslog\n[maildir]\ndovecot_config = {stack.DovecotConfigFile}\n");
        await ProcessRunner.RunCheckedAsync("chmod", ["-R", "a+rX", dir]);
        await MailUserReadsDovecotConfigAsync();
        string[] run = ["-u", user, "--", Path.Combine(tools, "mailseal-maildir"), .. command[1..], "--config", config];

        var first = await ProcessRunner.RunAsync("runuser", run, timeout: TimeSpan.FromMinutes(10));

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Equal(string.Empty, first.StandardOutput); // --quiet
        var state = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var account in users)
        {
            string sentDir = Path.Combine(stack.MailRoot, account.Maildir, "Maildir", ".Sent");
            Assert.Empty(Directory.GetFiles(Path.Combine(sentDir, "new")));
            var files = Directory.GetFiles(Path.Combine(sentDir, "cur"));
            Assert.Equal(3, files.Length);
            foreach (string file in files)
            {
                string stored = await File.ReadAllTextAsync(file);
                var decrypted = await ProcessRunner.RunAsync("gpg", ["--homedir", account.Key.GnupgHome, "--batch", "--quiet", "--decrypt"], stored);
                Assert.True(decrypted.ExitCode == 0, decrypted.StandardError);
                Assert.Contains(marker, decrypted.StandardOutput, StringComparison.Ordinal);
            }

            state[account.Email] = FolderState(sentDir);
            await AssertMarkerNowhereOnDiskAsync(account, marker);
        }

        var second = await ProcessRunner.RunAsync("runuser", run, timeout: TimeSpan.FromMinutes(10));

        Assert.True(second.ExitCode == 0, second.Output);
        foreach (var account in users)
            Assert.Equal(state[account.Email], FolderState(Path.Combine(stack.MailRoot, account.Maildir, "Maildir", ".Sent")));
    }

    [Fact]
    public async Task A_mail_user_that_cannot_read_dovecots_configuration_is_told_what_to_do_in_one_line()
    {
        var account = await stack.CreateAccountAsync($"noconf-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
        string tools = await stack.ToolsDirectoryAsync();
        string dir = Path.Combine(stack.TempDirectory, "maildir-tool");
        Directory.CreateDirectory(dir);
        string config = Path.Combine(dir, "empty.conf");
        await File.WriteAllTextAsync(config, string.Empty);
        await ProcessRunner.RunCheckedAsync("chmod", ["-R", "a+rX", dir]);

        // vmail without its supplementary groups: not in group dovecot, as before the admin adds it
        var run = await ProcessRunner.RunAsync("setpriv", [
            "--reuid", MailStack.VmailUser, "--regid", MailStack.VmailUser, "--clear-groups", "--",
            Path.Combine(tools, "mailseal-maildir"), "encrypt", "--config", config, "--user", account.Email,
            "--dovecot-config", stack.DovecotConfigFile, "--syslog-socket", Path.Combine(dir, "no-syslog")]);

        Assert.True(run.ExitCode == 75, run.Output);
        string[] lines = run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, run.StandardError);
        Assert.Contains("cannot read Dovecot's configuration", lines[0], StringComparison.Ordinal);
        Assert.Contains("docs/maildir.md", lines[0], StringComparison.Ordinal);
    }

    private static string UnitValue(string unit, string name) =>
        unit.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];

    /// <summary>Every file of a Maildir folder's cur/ and new/ with its size, mtime and content hash, and the uidlist.</summary>
    private static string FolderState(string folder)
    {
        var sb = new StringBuilder();
        foreach (string file in Directory.GetFiles(Path.Combine(folder, "cur")).Concat(Directory.GetFiles(Path.Combine(folder, "new"))).Order(StringComparer.Ordinal))
            sb.Append(file).Append(' ').Append(File.GetLastWriteTimeUtc(file).Ticks).Append(' ').Append(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)))).Append('\n');
        sb.Append(File.ReadAllText(Path.Combine(folder, "dovecot-uidlist")));
        return sb.ToString();
    }

    private sealed record MessageState(string Flags, string Keywords, DateTimeOffset? InternalDate, string MessageId);

    private async Task<Dictionary<string, string>> AppendAsync(MailAccount account, string marker, int count, string[]? folders = null)
    {
        folders ??= FolderNames;
        var bodies = new Dictionary<string, string>(StringComparer.Ordinal);
        using var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password);
        var personal = imap.GetFolder(imap.PersonalNamespaces[0]);
        var random = new Random(count);
        for (int f = 0; f < folders.Length; f++)
        {
            var folder = folders[f] == "INBOX" ? imap.Inbox : (await personal.CreateAsync(folders[f], true))!;
            var requests = new List<IAppendRequest>();
            for (int i = f; i < count; i += folders.Length)
            {
                string id = $"m{i}-{Guid.NewGuid():N}@client.example.org";
                string body = $"Message {i} to {folders[f]}: {marker}\nline two, {new string('x', random.Next(0, 4000))}\n";
                var message = new MimeMessage(new[] { new MailboxAddress("Alice", "alice@example.org") }, new[] { MailboxAddress.Parse(account.Email) }, $"subject {i}", new TextPart("plain") { Text = body });
                message.MessageId = id;
                var flags = (i % 4) switch { 0 => MessageFlags.Seen, 1 => MessageFlags.Seen | MessageFlags.Flagged, 2 => MessageFlags.None, _ => MessageFlags.Answered | MessageFlags.Seen };
                var keywords = (i % 3) switch { 0 => new[] { "$Label1" }, 1 => new[] { "custom-keyword", "$Label1" }, _ => Array.Empty<string>() };
                requests.Add(new AppendRequest(message, flags, keywords) { InternalDate = new DateTimeOffset(2015, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i * 7919) });
                bodies[id] = body;
                if (requests.Count == 50)
                {
                    await folder.AppendAsync(requests);
                    requests.Clear();
                }
            }

            if (requests.Count > 0)
                await folder.AppendAsync(requests);
        }

        await imap.DisconnectAsync(true);
        return bodies;
    }

    private async Task<Dictionary<string, Dictionary<uint, MessageState>>> SnapshotAsync(MailAccount account)
    {
        var result = new Dictionary<string, Dictionary<uint, MessageState>>(StringComparer.Ordinal);
        using var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password);
        foreach (string name in FolderNames)
        {
            var folder = await imap.GetFolderAsync(name);
            await folder.OpenAsync(FolderAccess.ReadOnly);
            var items = await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Envelope);
            result[name] = items.ToDictionary(s => s.UniqueId.Id, s => new MessageState(
                (s.Flags ?? MessageFlags.None).ToString(),
                string.Join(' ', s.Keywords.Order(StringComparer.Ordinal)),
                s.InternalDate,
                s.Envelope!.MessageId!));
            await folder.CloseAsync(false);
        }

        await imap.DisconnectAsync(true);
        return result;
    }

    /// <summary>
    /// The published tool run as the mail user, with a key folder it can read and the harness's
    /// Dovecot config, wired as docs/maildir.md tells the admin: the mail user in group dovecot
    /// (reads conf.d), dovecot/10-mailseal-maildir.conf applied (auth-userdb open to its group),
    /// so the tool asks doveadm for the Maildir and runs force-resync itself.
    /// </summary>
    private async Task<ProcessResult> RunToolAsync(MailAccount account, string[] extra)
    {
        string tools = await stack.ToolsDirectoryAsync();
        string dir = Path.Combine(stack.TempDirectory, "maildir-tool");
        string keys = Path.Combine(dir, "keys");
        Directory.CreateDirectory(keys);
        await File.WriteAllTextAsync(Path.Combine(keys, account.Email + ".asc"), account.Key.PublicKeyArmored);
        string config = Path.Combine(dir, "empty.conf");
        if (!File.Exists(config))
            await File.WriteAllTextAsync(config, string.Empty);
        await ProcessRunner.RunCheckedAsync("chmod", ["-R", "a+rX", dir]);
        await MailUserReadsDovecotConfigAsync();
        return await ProcessRunner.RunAsync("runuser", [
            "-u", MailStack.VmailUser, "--", Path.Combine(tools, "mailseal-maildir"), "encrypt", "--config", config,
            "--user", account.Email, "--key-dir", keys, "--dovecot-config", stack.DovecotConfigFile,
            "--syslog-socket", Path.Combine(dir, "no-syslog"), .. extra], timeout: TimeSpan.FromMinutes(10));
    }

    /// <summary>
    /// doveadm, run as the mail user, reads Dovecot's configuration, which postfix/apply.sh
    /// installs 0640 root:dovecot: the mail user belongs to group dovecot (docs/maildir.md says
    /// so for the admin).
    /// </summary>
    private static Task MailUserReadsDovecotConfigAsync() =>
        ProcessRunner.RunCheckedAsync("usermod", ["-a", "-G", "dovecot", MailStack.VmailUser]);

    private async Task AssertMarkerNowhereOnDiskAsync(MailAccount account, string marker)
    {
        string home = Path.Combine(stack.MailRoot, account.Maildir);
        var grep = await ProcessRunner.RunAsync("grep", ["-r", "-l", "-a", marker, home]);
        Assert.True(grep.ExitCode == 1, $"grep found the plaintext marker (exit {grep.ExitCode}): {grep.StandardOutput}{grep.StandardError}");
    }
}
