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

        // every message, fetched over IMAP, decrypts with gpg to the original body
        using (var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password))
        {
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
        }

        await AssertMarkerNowhereOnDiskAsync(account, marker);
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
        await ProcessRunner.RunCheckedAsync("doveadm", ["-c", stack.DovecotConfigFile, "reload"]);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2)); // the reloaded imap-login takes the new settings
            using var imap = await TestClients.ConnectImapAsync(stack.ImapPort, account.Email, account.Password);
            var sent = (await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Sent", true))!;
            var message = new MimeMessage(new[] { MailboxAddress.Parse(account.Email) }, new[] { new MailboxAddress("Carol", "carol@example.org") }, "sent by a client", new TextPart("plain") { Text = "Hello Carol, " + marker + "\n" });
            var date = new DateTimeOffset(2024, 2, 29, 12, 34, 56, TimeSpan.Zero);
            var uid = await sent.AppendAsync(new AppendRequest(message, MessageFlags.Seen, ["$Label1"]) { InternalDate = date });
            Assert.NotNull(uid);

            string cur = Path.Combine(stack.MailRoot, account.Maildir, "Maildir", ".Sent", "cur");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            string? file = null;
            while (DateTime.UtcNow < deadline)
            {
                file = Directory.Exists(cur) ? Directory.GetFiles(cur).SingleOrDefault() : null;
                if (file is not null && File.ReadAllText(file).Contains("multipart/encrypted", StringComparison.Ordinal))
                    break;
                await Task.Delay(250);
            }

            Assert.True(file is not null && File.ReadAllText(file).Contains("multipart/encrypted", StringComparison.Ordinal),
                "Sent still holds plaintext after 60 s\nsyslog: " + string.Join('\n', syslog.Drain()) + "\n" + stack.TailLog(Harness.MailService.Dovecot));
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
            await ProcessRunner.RunAsync("doveadm", ["-c", stack.DovecotConfigFile, "reload"]);
        }
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

    /// <summary>The published tool run as the mail user, with a key folder it can read and the harness's Dovecot config.</summary>
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
        // doveadm and doveconf, run as the mail user, read Dovecot's configuration, which
        // postfix/apply.sh installs 0640 root:dovecot: the mail user belongs to group dovecot
        // (docs/maildir.md says so for the admin).
        await ProcessRunner.RunCheckedAsync("usermod", ["-a", "-G", "dovecot", MailStack.VmailUser]);
        return await ProcessRunner.RunAsync("runuser", [
            "-u", MailStack.VmailUser, "--", Path.Combine(tools, "mailseal-maildir"), "encrypt", "--config", config,
            "--user", account.Email, "--key-dir", keys, "--dovecot-config", stack.DovecotConfigFile,
            // The harness's auth-userdb socket (0666) refuses a non-root doveadm's userdb lookups
            // ("userdb reply doesn't contain uid"), so the Maildir is given and the run makes no
            // Dovecot call: this shows Dovecot reading the result with no force-resync at all.
            "--maildir", Path.Combine(stack.MailRoot, account.Maildir, "Maildir"), "--doveadm", "none",
            "--syslog-socket", Path.Combine(dir, "no-syslog"), .. extra], timeout: TimeSpan.FromMinutes(10));
    }

    private async Task AssertMarkerNowhereOnDiskAsync(MailAccount account, string marker)
    {
        string home = Path.Combine(stack.MailRoot, account.Maildir);
        var grep = await ProcessRunner.RunAsync("grep", ["-r", "-l", "-a", marker, home]);
        Assert.True(grep.ExitCode == 1, $"grep found the plaintext marker (exit {grep.ExitCode}): {grep.StandardOutput}{grep.StandardError}");
    }
}
