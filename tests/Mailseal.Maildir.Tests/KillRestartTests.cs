using System.Diagnostics;
using System.Text;

namespace Mailseal.Maildir.Tests;

/// <summary>
/// The promise "never both, never neither" tried the way a crash breaks it: the native tool is
/// SIGKILLed at random moments of a 1,000-message run and restarted until it finishes.
/// </summary>
public sealed class KillRestartTests : IDisposable
{
    private readonly TestMaildir _m = new();

    public void Dispose() => _m.Dispose();

    [Fact]
    public async Task Killed_at_random_points_and_restarted_until_done_every_message_is_there_exactly_once_and_encrypted()
    {
        var originals = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var uids = new Dictionary<string, int>(StringComparer.Ordinal);
        var folders = new List<string>();
        var expected = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (name, count) in new[] { ("INBOX", 400), ("Sent", 400), ("Archive", 200) })
        {
            string folder = _m.CreateFolder(name);
            folders.Add(folder);
            expected[folder] = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                int n = originals.Count;
                string text = _m.Message(n) + string.Concat(Enumerable.Repeat("filler line to give the message some size\n", n % 50));
                string file = _m.Add(folder, n, text, (n % 3) switch { 0 => "S", 1 => "FS", _ => "a" }, DateTime.UtcNow.AddDays(-n));
                originals[MaildirFileName.Parse(file)!.Unique] = Encoding.UTF8.GetBytes(text);
                expected[folder].Add(MaildirFileName.Parse(file)!.Unique);
            }

            TestMaildir.WriteUidList(folder);
            foreach (var (unique, (uid, _)) in TestMaildir.ReadUidList(folder))
                uids[unique] = uid;
        }

        string tool = PublishedTools.Path(MaildirProgram.ToolName);
        var random = new Random(20261203);
        int kills = 0, runs = 0;
        while (true)
        {
            runs++;
            using var p = Start(tool);
            // 12 runs killed at a random moment (start-up, encrypting, committing), then one let finish
            bool exited = runs > 12 ? p.WaitForExit(TimeSpan.FromMinutes(10)) : p.WaitForExit(random.Next(30, 300 + 150 * runs));
            Assert.True(exited || runs <= 12, "the last run did not finish in 10 minutes");
            if (exited)
            {
                string err = await p.StandardError.ReadToEndAsync();
                Assert.True(p.ExitCode == 0, $"run {runs} exited {p.ExitCode}: {err}");
                break;
            }

            p.Kill(); // SIGKILL
            await p.WaitForExitAsync();
            kills++;
            // never neither: every message is still there (as plaintext or ciphertext); two files
            // for one message only where a journal names it (the next run's recovery removes one)
            foreach (string folder in folders)
                AssertEachMessagePresent(folder, expected[folder], originals, allowJournalTwins: true);
        }

        Assert.True(kills >= 3, $"only {kills} kills: the test did not interrupt the tool");
        foreach (string folder in folders)
        {
            AssertEachMessagePresent(folder, expected[folder], originals, allowJournalTwins: false);
            Assert.False(File.Exists(Path.Combine(folder, CommitJournal.FileName)));
            Assert.False(File.Exists(Path.Combine(folder, UidListLock.FileName)));
            Assert.Empty(Directory.GetFiles(Path.Combine(folder, "tmp")));
            foreach (var (unique, (uid, baseName)) in TestMaildir.ReadUidList(folder))
            {
                Assert.Equal(uids[unique], uid);
                Assert.True(File.Exists(Directory.GetFiles(Path.Combine(folder, "cur"), baseName + ":*").Single()));
            }
        }

        // every message decrypts (gpg) to its original body
        foreach (string file in folders.SelectMany(f => Directory.GetFiles(Path.Combine(f, "cur"))))
        {
            byte[] bytes = File.ReadAllBytes(file);
            string original = Encoding.UTF8.GetString(originals[MaildirFileName.Parse(Path.GetFileName(file))!.Unique]);
            string decrypted = Encoding.UTF8.GetString(_m.Gpg.Decrypt(bytes));
            Assert.Contains(original[original.IndexOf("\n\n", StringComparison.Ordinal)..].TrimStart('\n'), decrypted, StringComparison.Ordinal);
        }
    }

    private Process Start(string tool)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { "encrypt", "--config", _m.Config, "--user", TestMaildir.User, "--maildir", _m.Root, "--key-dir", _m.KeyDir, "--doveadm", "none", "--allow-root", "--quiet", "--syslog-socket", Path.Combine(_m.Dir, "no-syslog") })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.StandardInput.Close();
        return p;
    }

    private static void AssertEachMessagePresent(string folder, HashSet<string> expected, Dictionary<string, byte[]> originals, bool allowJournalTwins)
    {
        var journal = CommitJournal.Read(folder).Select(e => MaildirFileName.Parse(e.OldName)!.Unique).ToHashSet(StringComparer.Ordinal);
        var byUnique = Directory.GetFiles(Path.Combine(folder, "cur")).GroupBy(f => MaildirFileName.Parse(Path.GetFileName(f))!.Unique, StringComparer.Ordinal).ToList();
        foreach (var g in byUnique)
        {
            Assert.True(expected.Contains(g.Key), "unknown file " + g.First());
            Assert.True(g.Count() == 1 || (allowJournalTwins && journal.Contains(g.Key)), $"{g.Count()} files for {g.Key}");
            foreach (string f in g)
            {
                byte[] bytes = File.ReadAllBytes(f);
                Assert.True(bytes.AsSpan().SequenceEqual(originals[g.Key]) || Encoding.ASCII.GetString(bytes).Contains("multipart/encrypted", StringComparison.Ordinal), "neither the original nor ciphertext: " + f);
            }
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), byUnique.Select(g => g.Key).Order(StringComparer.Ordinal));
    }
}
