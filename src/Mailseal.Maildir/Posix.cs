using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Mailseal.Maildir;

/// <summary>
/// The few libc calls the commit protocol needs exactly: rename(2) (File.Move is rename only
/// with overwrite, and says so nowhere in its contract), fsync(2) of a directory (so a rename
/// or unlink is on disk before the next step), and geteuid(2) for the root check.
/// </summary>
internal static partial class Posix
{
    private const int OpenReadOnly = 0;
    private const int OpenDirectory = 0x10000; // O_DIRECTORY on Linux
    private const int OpenCloseOnExec = 0x80000; // O_CLOEXEC
    private const int ErrorNoEntry = 2; // ENOENT
    private const int ErrorExists = 17; // EEXIST

    /// <summary>The effective user id.</summary>
    public static uint EffectiveUserId => geteuid();

    /// <summary>rename(2): atomically replaces <paramref name="to"/> if it exists.</summary>
    /// <exception cref="IOException">rename failed (the message says why).</exception>
    public static void Rename(string from, string to)
    {
        if (rename(from, to) != 0)
            throw Error("rename " + from + " to " + to);
    }

    /// <summary>link(2): false when <paramref name="to"/> already exists (EEXIST), so a file with content appears under the name atomically.</summary>
    public static bool Link(string from, string to)
    {
        if (link(from, to) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == ErrorExists)
            return false;
        throw new IOException("link " + from + " to " + to + ": " + new Win32Exception(errno).Message);
    }

    /// <summary>unlink(2); false when the name did not exist.</summary>
    public static bool Unlink(string path)
    {
        if (unlink(path) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == ErrorNoEntry)
            return false;
        throw new IOException("unlink " + path + ": " + new Win32Exception(errno).Message);
    }

    /// <summary>fsync(2) of a directory: the renames and unlinks in it are durable once this returns.</summary>
    public static void SyncDirectory(string path)
    {
        int fd = open(path, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
        if (fd < 0)
            throw Error("open " + path);
        try
        {
            if (fsync(fd) != 0)
                throw Error("fsync " + path);
        }
        finally
        {
            _ = close(fd);
        }
    }

    private static IOException Error(string what) =>
        new(what + ": " + new Win32Exception(Marshal.GetLastPInvokeError()).Message);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int rename(string oldpath, string newpath);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int unlink(string path);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int link(string oldpath, string newpath);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
