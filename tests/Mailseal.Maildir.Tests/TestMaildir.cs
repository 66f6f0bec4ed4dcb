using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mailseal.Core.Cli;

namespace Mailseal.Maildir.Tests;

/// <summary>
/// A Maildir on disk as Dovecot leaves it (cur/ files named UNIQUE,S=,W=:2,FLAGS with their
/// INTERNALDATE as mtime, a version 3 dovecot-uidlist, dovecot-keywords), a key folder with
/// the user's certificate and gpg holding its secret key; and a way to run the tool in-process.
/// </summary>
public sealed class TestMaildir : IDisposable
{
    public const string User = "bob@example.test";

    public TestMaildir()
    {
        Directory.CreateDirectory(KeyDir);
        File.WriteAllBytes(Path.Combine(KeyDir, User + ".asc"), Gpg.GenerateKey(User));
        File.WriteAllText(Config, "");
        Directory.CreateDirectory(Root);
    }

    public string Dir { get; } = Directory.CreateTempSubdirectory("mailseal-maildir-tests.").FullName;

    public string Root => Path.Combine(Dir, "Maildir");

    public string KeyDir => Path.Combine(Dir, "keys");

    public string Config => Path.Combine(Dir, "empty.conf");

    public TestGpg Gpg { get; } = new();

    /// <summary>The marker planted in every body.</summary>
    public string Marker { get; } = "PLAINTEXT-MARKER-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6));

    /// <summary>Creates a folder ("INBOX" is the root) with cur/ new/ tmp/.</summary>
    public string CreateFolder(string name)
    {
        string path = name == "INBOX" ? Root : Path.Combine(Root, "." + name);
        foreach (string sub in new[] { "cur", "new", "tmp" })
            Directory.CreateDirectory(Path.Combine(path, sub));
        return path;
    }

    /// <summary>A plaintext message with LF line ends (as Dovecot stores them).</summary>
    public string Message(int n) =>
        $"From: <alice@example.org>\nTo: <{User}>\nSubject: message {n}\nMessage-ID: <{n}@test>\nContent-Type: text/plain; charset=utf-8\n\nBody of message {n}: {Marker}\nsecond line\n";

    /// <summary>Stores <paramref name="text"/> in cur/ under a Dovecot-style name with <paramref name="flags"/> and mtime.</summary>
    public string Add(string folder, int n, string text, string flags, DateTime internalDate)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        long vsize = bytes.Length + text.Count(c => c == '\n');
        string unique = string.Create(CultureInfo.InvariantCulture, $"{1700000000 + n}.M{n}P4242.testhost");
        string name = string.Create(CultureInfo.InvariantCulture, $"{unique},S={bytes.Length},W={vsize}:2,{flags}");
        string path = Path.Combine(folder, "cur", name);
        File.WriteAllBytes(path, bytes);
        File.SetLastWriteTimeUtc(path, internalDate);
        return name;
    }

    /// <summary>Writes dovecot-uidlist (v3) giving the files in cur/ UIDs 1.. in name order.</summary>
    public static void WriteUidList(string folder)
    {
        var names = Directory.GetFiles(Path.Combine(folder, "cur")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"3 V1700000000 N{names.Count + 1} G0123456789abcdef0123456789abcdef\n"));
        for (int i = 0; i < names.Count; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{i + 1} :{names[i]![..names[i]!.IndexOf(':', StringComparison.Ordinal)]}\n");
        File.WriteAllText(Path.Combine(folder, "dovecot-uidlist"), sb.ToString());
    }

    /// <summary>UID per unique part, from dovecot-uidlist.</summary>
    public static Dictionary<string, (int Uid, string Base)> ReadUidList(string folder)
    {
        var map = new Dictionary<string, (int, string)>(StringComparer.Ordinal);
        foreach (string line in File.ReadAllLines(Path.Combine(folder, "dovecot-uidlist")).Skip(1))
        {
            int colon = line.IndexOf(" :", StringComparison.Ordinal);
            string baseName = line[(colon + 2)..];
            map[MaildirFileName.Parse(baseName)!.Unique] = (int.Parse(line.Split(' ')[0], CultureInfo.InvariantCulture), baseName);
        }

        return map;
    }

    /// <summary>Runs mailseal-maildir in-process (no Dovecot calls); returns exit code, stdout, stderr.</summary>
    public async Task<(int Exit, string Out, string Err)> RunAsync(params string[] extra)
    {
        var output = new MemoryStream();
        var error = new StringWriter();
        var context = new ToolContext(Stream.Null, output, error);
        string[] args = ["encrypt", "--config", Config, "--user", User, "--maildir", Root, "--key-dir", KeyDir, "--doveadm", "none", "--allow-root", "--syslog-socket", Path.Combine(Dir, "no-syslog"), .. extra];
        int exit = await MaildirProgram.RunAsync(args, context, CancellationToken.None);
        return (exit, Encoding.UTF8.GetString(output.ToArray()), error.ToString());
    }

    /// <summary>Name, size, mtime and SHA-256 of every file under the Maildir (a snapshot to compare).</summary>
    public SortedDictionary<string, string> Snapshot()
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string f in Directory.GetFiles(Root, "*", SearchOption.AllDirectories))
            map[Path.GetRelativePath(Root, f)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))) + " " + File.GetLastWriteTimeUtc(f).Ticks;
        return map;
    }

    public void Dispose()
    {
        Gpg.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
