using System.Text;

namespace Mailseal.Maildir.Tests;

public sealed class FolderEncryptorTests : IDisposable
{
    private readonly TestMaildir _m = new();

    public void Dispose() => _m.Dispose();

    private (string Folder, Dictionary<string, (string Name, string Text, DateTime Date)> Messages) Populate(string folderName, int count)
    {
        string folder = _m.CreateFolder(folderName);
        var flags = new[] { "", "S", "FS", "Sa", "RSab", "DS", "T" };
        var messages = new Dictionary<string, (string, string, DateTime)>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string text = _m.Message(i);
            var date = new DateTime(2019, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i * 17).AddSeconds(i);
            string name = _m.Add(folder, i, text, flags[i % flags.Length], date);
            messages[MaildirFileName.Parse(name)!.Unique] = (name, text, date);
        }

        File.WriteAllText(Path.Combine(folder, "dovecot-keywords"), "0 $Label1\n1 custom-keyword\n");
        TestMaildir.WriteUidList(folder);
        return (folder, messages);
    }

    [Fact]
    public async Task Encrypts_in_place_keeping_uid_base_flags_keywords_and_mtime_and_fixing_sizes()
    {
        var (folder, messages) = Populate("Sent", 9);
        var uidsBefore = TestMaildir.ReadUidList(folder);

        var (exit, output, error) = await _m.RunAsync("--folder", "Sent");

        Assert.True(exit == 0, error);
        Assert.Contains("9 encrypted", output, StringComparison.Ordinal);
        var files = Directory.GetFiles(Path.Combine(folder, "cur"));
        Assert.Equal(9, files.Length);
        var uidsAfter = TestMaildir.ReadUidList(folder);
        foreach (string path in files)
        {
            string name = Path.GetFileName(path);
            var parsed = MaildirFileName.Parse(name)!;
            var (oldName, text, date) = messages[parsed.Unique];
            var old = MaildirFileName.Parse(oldName)!;
            Assert.Equal(old.Info, parsed.Info); // flags and keyword letters unchanged
            byte[] bytes = File.ReadAllBytes(path);
            Assert.Equal(bytes.Length, parsed.Size);
            Assert.Equal(bytes.Length + bytes.Count(b => b == (byte)'\n') - CountCrLf(bytes), parsed.VirtualSize);
            Assert.Equal(date, File.GetLastWriteTimeUtc(path));
            string stored = Encoding.UTF8.GetString(bytes);
            Assert.Contains("multipart/encrypted", stored, StringComparison.Ordinal);
            Assert.DoesNotContain(_m.Marker, stored, StringComparison.Ordinal);
            string decrypted = Encoding.UTF8.GetString(_m.Gpg.Decrypt(bytes));
            Assert.Contains(text[text.IndexOf("Body of", StringComparison.Ordinal)..].ReplaceLineEndings("\n"), decrypted.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            // the uidlist keeps the UID and names the new base
            Assert.Equal(uidsBefore[parsed.Unique].Uid, uidsAfter[parsed.Unique].Uid);
            Assert.Equal(parsed.Base, uidsAfter[parsed.Unique].Base);
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "tmp")));
        Assert.False(File.Exists(Path.Combine(folder, "dovecot-uidlist.lock")));
        Assert.False(File.Exists(Path.Combine(folder, CommitJournal.FileName)));
        Assert.StartsWith("3 V1700000000 N10 ", File.ReadAllText(Path.Combine(folder, "dovecot-uidlist")), StringComparison.Ordinal);
        AssertMarkerNowhere();
    }

    [Fact]
    public async Task A_second_run_changes_nothing()
    {
        Populate("INBOX", 5);
        Populate("Archive", 4);
        Assert.Equal(0, (await _m.RunAsync()).Exit);
        var first = _m.Snapshot();

        var (exit, output, _) = await _m.RunAsync();

        Assert.Equal(0, exit);
        Assert.Contains("total: 9 messages in 2 folders, 0 encrypted, 9 already encrypted", output, StringComparison.Ordinal);
        Assert.Equal(first.Where(k => !k.Key.EndsWith(FolderLock.FileName, StringComparison.Ordinal)), _m.Snapshot().Where(k => !k.Key.EndsWith(FolderLock.FileName, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_already_encrypted_message_is_left_byte_identical_under_its_name()
    {
        var (folder, _) = Populate("INBOX", 1);
        Assert.Equal(0, (await _m.RunAsync()).Exit);
        string encrypted = Directory.GetFiles(Path.Combine(folder, "cur")).Single();
        // a second, already encrypted message (and an S/MIME one) arrive in the same folder
        string copy = Path.Combine(folder, "cur", "1800000000.M1P1.other,S=1,W=1:2,S");
        File.Copy(encrypted, copy);
        string smime = _m.Add(folder, 77, "From: <a@example.org>\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\n", "S", DateTime.UtcNow);
        var before = _m.Snapshot();

        var (exit, output, _) = await _m.RunAsync();

        Assert.Equal(0, exit);
        Assert.Contains("0 encrypted, 3 already encrypted", output, StringComparison.Ordinal);
        Assert.True(File.Exists(copy)); // even its (wrong) S= is Dovecot's business, not ours: untouched
        Assert.True(File.Exists(Path.Combine(folder, "cur", smime)));
        Assert.Equal(before.Where(k => !k.Key.EndsWith(FolderLock.FileName, StringComparison.Ordinal)), _m.Snapshot().Where(k => !k.Key.EndsWith(FolderLock.FileName, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Dry_run_counts_and_changes_nothing()
    {
        Populate("INBOX", 3);
        Populate("Sent", 2);
        var before = _m.Snapshot();

        var (exit, output, _) = await _m.RunAsync("--dry-run");

        Assert.Equal(0, exit);
        Assert.Contains("5 to encrypt", output, StringComparison.Ordinal);
        Assert.Equal(before, _m.Snapshot());
    }

    [Fact]
    public async Task Refuses_to_run_as_root_unless_allowed()
    {
        Populate("INBOX", 1);
        var before = _m.Snapshot();
        var output = new MemoryStream();
        var error = new StringWriter();
        int exit = await MaildirProgram.RunAsync(["encrypt", "--config", _m.Config, "--user", TestMaildir.User, "--maildir", _m.Root, "--key-dir", _m.KeyDir, "--doveadm", "none"],
            new Mailseal.Core.Cli.ToolContext(Stream.Null, output, error), CancellationToken.None);

        Assert.Equal(75, exit); // the tests run as root
        Assert.Contains("refusing to run as root", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, _m.Snapshot());
    }

    [Fact]
    public async Task A_user_without_a_key_is_a_temporary_failure_and_nothing_changes()
    {
        Populate("INBOX", 2);
        File.Delete(Path.Combine(_m.KeyDir, TestMaildir.User + ".asc"));
        var before = _m.Snapshot();

        var (exit, _, error) = await _m.RunAsync();

        Assert.Equal(75, exit);
        Assert.Contains("no usable key", error, StringComparison.Ordinal);
        Assert.Equal(before, _m.Snapshot());
    }

    [Fact]
    public async Task Crash_after_the_rename_leaves_both_files_and_the_next_run_keeps_only_the_ciphertext_with_its_uid()
    {
        // Build the state a SIGKILL between rename(tmp -> cur/NEW) and unlink(cur/OLD) leaves:
        // journal written, our uidlist lock left, both files in cur/, uidlist still naming OLD.
        var (folder, messages) = Populate("INBOX", 2);
        var uids = TestMaildir.ReadUidList(folder);
        string plaintextName = messages.Values.First().Name;
        string ciphertext = await EncryptedCopyAsync(messages.Values.First().Text, plaintextName);
        var newName = MaildirFileName.Parse(plaintextName)!.WithSizes(new FileInfo(ciphertext).Length, 1);
        File.Move(ciphertext, Path.Combine(folder, "cur", newName.ToString()));
        CommitJournal.Write(folder, [new JournalEntry("mailseal.gone", plaintextName, newName.ToString())]);
        File.WriteAllText(Path.Combine(folder, UidListLock.FileName), UidListLock.Marker + " 999999\n");

        var (exit, output, error) = await _m.RunAsync();

        Assert.True(exit == 0, error);
        Assert.Contains("1 recovered", output, StringComparison.Ordinal);
        var names = Directory.GetFiles(Path.Combine(folder, "cur")).Select(Path.GetFileName).ToList();
        Assert.Equal(2, names.Count); // each message exactly once
        Assert.Contains(newName.ToString(), names);
        Assert.DoesNotContain(plaintextName, names);
        Assert.Equal(uids[newName.Unique].Uid, TestMaildir.ReadUidList(folder)[newName.Unique].Uid);
        Assert.Equal(newName.Base, TestMaildir.ReadUidList(folder)[newName.Unique].Base);
        Assert.False(File.Exists(Path.Combine(folder, UidListLock.FileName)));
        Assert.False(File.Exists(Path.Combine(folder, CommitJournal.FileName)));
        AssertMarkerNowhere();
    }

    [Fact]
    public async Task Crash_before_the_rename_leaves_the_plaintext_and_a_tmp_file_and_the_next_run_encrypts_once()
    {
        var (folder, messages) = Populate("INBOX", 3);
        string plaintextName = messages.Values.First().Name;
        string ciphertext = await EncryptedCopyAsync(messages.Values.First().Text, plaintextName);
        File.Move(ciphertext, Path.Combine(folder, "tmp", "mailseal.left.1.abc"));
        CommitJournal.Write(folder, [new JournalEntry("mailseal.left.1.abc", plaintextName, MaildirFileName.Parse(plaintextName)!.WithSizes(5, 5).ToString())]);

        var (exit, _, error) = await _m.RunAsync();

        Assert.True(exit == 0, error);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(folder, "cur")).Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "tmp")));
        AssertMarkerNowhere();
    }

    [Fact]
    public async Task Crash_after_the_unlink_before_the_uidlist_rewrite_is_finished_from_the_journal()
    {
        var (folder, messages) = Populate("INBOX", 2);
        var uids = TestMaildir.ReadUidList(folder);
        string plaintextName = messages.Values.First().Name;
        string ciphertext = await EncryptedCopyAsync(messages.Values.First().Text, plaintextName);
        var newName = MaildirFileName.Parse(plaintextName)!.WithSizes(new FileInfo(ciphertext).Length, 2);
        File.Move(ciphertext, Path.Combine(folder, "cur", newName.ToString()));
        File.Delete(Path.Combine(folder, "cur", plaintextName));
        CommitJournal.Write(folder, [new JournalEntry("mailseal.gone", plaintextName, newName.ToString())]);

        var (exit, _, error) = await _m.RunAsync();

        Assert.True(exit == 0, error);
        Assert.Equal(uids[newName.Unique].Uid, TestMaildir.ReadUidList(folder)[newName.Unique].Uid);
        Assert.Equal(newName.Base, TestMaildir.ReadUidList(folder)[newName.Unique].Base);
    }

    [Fact]
    public async Task Flags_a_client_changed_while_the_message_was_being_encrypted_are_the_ones_kept()
    {
        var (folder, messages) = Populate("INBOX", 1);
        string oldName = messages.Values.Single().Name;
        string ciphertext = await EncryptedCopyAsync(messages.Values.Single().Text, oldName);
        File.Move(ciphertext, Path.Combine(folder, "tmp", "mailseal.race.1.abc"));
        var newName = MaildirFileName.Parse(oldName)!.WithSizes(new FileInfo(Path.Combine(folder, "tmp", "mailseal.race.1.abc")).Length, 3);
        // Dovecot renames the plaintext for a flag change (\Flagged added) after our read
        string flagged = MaildirFileName.Parse(oldName)!.Base + ":2,FS";
        File.Move(Path.Combine(folder, "cur", oldName), Path.Combine(folder, "cur", flagged));
        var encryptor = new FolderEncryptor(MaildirFolder.Named(_m.Root, "INBOX"), [], new MaildirRunOptions());

        await encryptor.CommitAsync([new JournalEntry("mailseal.race.1.abc", oldName, newName.ToString())], CancellationToken.None);

        string only = Path.GetFileName(Directory.GetFiles(Path.Combine(folder, "cur")).Single());
        Assert.Equal(newName.Base + ":2,FS", only);
        Assert.Equal(newName.Base, TestMaildir.ReadUidList(folder)[newName.Unique].Base);
    }

    /// <summary>The ciphertext of one message, made by the tool itself in a scratch Maildir; returns its path.</summary>
    private async Task<string> EncryptedCopyAsync(string text, string name)
    {
        using var scratch = new TestMaildir();
        string folder = scratch.CreateFolder("INBOX");
        File.WriteAllText(Path.Combine(folder, "cur", name), text);
        File.Copy(Path.Combine(_m.KeyDir, TestMaildir.User + ".asc"), Path.Combine(scratch.KeyDir, TestMaildir.User + ".asc"), overwrite: true);
        Assert.Equal(0, (await scratch.RunAsync()).Exit);
        string result = Path.Combine(_m.Dir, "ciphertext-" + Guid.NewGuid().ToString("N"));
        File.Copy(Directory.GetFiles(Path.Combine(folder, "cur")).Single(), result);
        return result;
    }

    private void AssertMarkerNowhere()
    {
        foreach (string f in Directory.GetFiles(_m.Root, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(_m.Marker, File.ReadAllText(f), StringComparison.Ordinal);
    }

    private static int CountCrLf(byte[] bytes)
    {
        int n = 0;
        for (int i = 1; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n' && bytes[i - 1] == (byte)'\r')
                n++;
        }

        return n;
    }
}
