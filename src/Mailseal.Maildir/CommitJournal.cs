using System.Text;

namespace Mailseal.Maildir;

/// <summary>
/// The intent of one commit batch, written and fsynced before the first rename: per message
/// the ciphertext's name in tmp/, the name it replaces in cur/ and the name it takes. File
/// names only, never content. A run that finds it (the last one died mid-commit) finishes or
/// undoes each entry (<see cref="FolderEncryptor"/>), so each message ends up as exactly one
/// file, and its uidlist line names that file.
/// </summary>
internal static class CommitJournal
{
    /// <summary>The journal's name in the folder.</summary>
    public const string FileName = "mailseal-maildir.journal";

    /// <summary>Writes the entries and makes them durable (file and folder fsynced).</summary>
    public static void Write(string folder, IEnumerable<JournalEntry> entries)
    {
        var sb = new StringBuilder();
        foreach (var e in entries)
            sb.Append(e.TmpName).Append('\t').Append(e.OldName).Append('\t').Append(e.NewName).Append('\n');
        string path = Path.Combine(folder, FileName);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var f = new FileStream(path, options))
        {
            f.Write(Encoding.UTF8.GetBytes(sb.ToString()));
            f.Flush(flushToDisk: true);
        }

        Posix.SyncDirectory(folder);
    }

    /// <summary>The entries of a journal left in <paramref name="folder"/>, or an empty list.</summary>
    public static IReadOnlyList<JournalEntry> Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            return [];
        var list = new List<JournalEntry>();
        foreach (string line in File.ReadAllLines(path))
        {
            var f = line.Split('\t');
            if (f.Length == 3 && f.All(x => x.Length > 0 && !x.Contains('/', StringComparison.Ordinal)))
                list.Add(new JournalEntry(f[0], f[1], f[2]));
        }

        return list;
    }

    /// <summary>Removes the journal once its batch is complete.</summary>
    public static void Delete(string folder)
    {
        if (Posix.Unlink(Path.Combine(folder, FileName)))
            Posix.SyncDirectory(folder);
    }
}
