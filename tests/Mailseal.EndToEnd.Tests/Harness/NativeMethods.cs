using System.Runtime.InteropServices;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>libc calls the harness needs to stop daemons by pid.</summary>
internal static class NativeMethods
{
    /// <summary>SIGINT: PostgreSQL's fast shutdown.</summary>
    public const int SigInt = 2;

    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;

    /// <summary>SIGTERM.</summary>
    public const int SigTerm = 15;

    /// <summary>
    /// Reads up to 4 KiB of a small file without the advisory lock .NET's FileStream takes:
    /// daemons such as Postfix's master hold an exclusive flock on their pid file, which makes
    /// every .NET open of it fail with a sharing violation.
    /// </summary>
    /// <returns>The text, or null when the file cannot be opened.</returns>
    internal static string? ReadSmallFileUnlocked(string path)
    {
        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            var buffer = new byte[4096];
            var n = Read(fd, buffer, (nint)buffer.Length);
            return n < 0 ? null : System.Text.Encoding.ASCII.GetString(buffer, 0, (int)n);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Kill(int pid, int signal);
}
