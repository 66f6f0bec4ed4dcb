using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mailseal.Maildir;

/// <summary>
/// Dovecot's own lock on a Maildir folder: the dotlock dovecot-uidlist.lock, created with
/// O_EXCL. While it is held Dovecot does not sync the folder (it neither scans cur/ for new
/// base names nor rewrites the uidlist), so a message whose file is being replaced is never
/// seen twice or missing. The lock file says "mailseal-maildir PID", which Dovecot cannot read
/// as a pid: if this process dies holding it, Dovecot treats it as stale only after its
/// mtime-based timeout (2 minutes for the uidlist), which leaves the next run (the timer, or
/// the admin's restart) the time to finish the interrupted commit from its journal first.
/// </summary>
internal sealed class UidListLock : IDisposable
{
    /// <summary>The lock file's name.</summary>
    public const string FileName = "dovecot-uidlist.lock";

    /// <summary>The suffix of the new uidlist while it is written (beside dovecot-uidlist).</summary>
    public const string TempSuffix = ".mailseal-new";

    /// <summary>What this tool writes into the lock file, before its pid.</summary>
    public const string Marker = "mailseal-maildir";

    private readonly string _path;
    private bool _held;

    private UidListLock(string path)
    {
        _path = path;
        _held = true;
    }

    /// <summary>The lock file's path.</summary>
    public string Path => _path;

    /// <summary>
    /// Takes the lock in <paramref name="folder"/>, waiting up to <paramref name="timeout"/> while
    /// Dovecot holds it. A lock left by a run of this tool that died is taken over: the caller
    /// holds the folder's own lock (<see cref="FolderLock"/>), so no other run is alive.
    /// </summary>
    /// <exception cref="TimeoutException">Dovecot held the lock for the whole timeout.</exception>
    public static async Task<UidListLock> AcquireAsync(string folder, TimeSpan timeout, CancellationToken ct)
    {
        string path = System.IO.Path.Combine(folder, FileName);
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            if (TryCreate(path))
                return new UidListLock(path);
            if (IsOurs(path))
            {
                // Left by a run of ours that died (we hold the folder lock): take it over.
                await File.WriteAllTextAsync(path, Content(), ct).ConfigureAwait(false);
                return new UidListLock(path);
            }

            if (clock.Elapsed >= timeout)
                throw new TimeoutException($"{path} held by Dovecot for over {timeout.TotalSeconds:0} s");
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
        }
    }

    /// <summary>True when the lock file at <paramref name="path"/> was written by this tool.</summary>
    public static bool IsOurs(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[64];
            int n = f.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith(Marker, StringComparison.Ordinal);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> as the new dovecot-uidlist: into a temp file beside it,
    /// fsync, an mtime newer than the old file's (Dovecot re-reads a uidlist whose mtime grew),
    /// rename over the uidlist, then the lock is released. (Dovecot writes into the lock file
    /// itself; a kill in the middle of that would leave a lock holding neither Dovecot's nor
    /// our mark, which no run could take over.)
    /// </summary>
    public void CommitUidList(string text, string uidListPath)
    {
        ObjectDisposedException.ThrowIf(!_held, this);
        string temp = uidListPath + TempSuffix;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var f = new FileStream(temp, options))
        {
            f.Write(Encoding.UTF8.GetBytes(text));
            f.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(temp, File.GetUnixFileMode(uidListPath));
        var old = File.GetLastWriteTimeUtc(uidListPath);
        var now = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(temp, now > old ? now : old.AddSeconds(1));
        Posix.Rename(temp, uidListPath);
        Dispose();
    }

    /// <summary>Releases the lock (unlinks the file); <see cref="CommitUidList"/> does it itself.</summary>
    public void Dispose()
    {
        if (_held)
        {
            Posix.Unlink(_path);
            _held = false;
        }
    }

    private static string Content() => Marker + " " + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n";

    /// <summary>
    /// Creates the lock with its content in one step: the content goes to a temp file that is
    /// then link(2)ed to the lock name (Dovecot's own dotlock way), so a kill can never leave an
    /// empty lock file that nobody can tell apart from Dovecot's.
    /// </summary>
    private static bool TryCreate(string path)
    {
        string temp = path + ".mailseal." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var f = new FileStream(temp, options))
            f.Write(Encoding.ASCII.GetBytes(Content()));
        try
        {
            return Posix.Link(temp, path);
        }
        finally
        {
            Posix.Unlink(temp);
        }
    }

    /// <summary>Removes temp files of <see cref="TryCreate"/> left by killed runs (the caller holds the folder lock).</summary>
    public static void RemoveLeftovers(string folder)
    {
        foreach (string f in Directory.EnumerateFiles(folder, FileName + ".mailseal.*"))
            Posix.Unlink(f);
        Posix.Unlink(System.IO.Path.Combine(folder, UidList.FileName + TempSuffix));
    }
}
