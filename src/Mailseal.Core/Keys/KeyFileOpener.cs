using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Mailseal.Core.Keys;

/// <summary>
/// Opens a key file so that no file type can make the caller wait: open(2) with O_NONBLOCK
/// (a FIFO without a writer would otherwise block it for ever; a tty or device could too), then
/// the opened file's own type (statx on the descriptor, so a symlink swapped after the open
/// changes nothing) must be a regular file. .NET's File.OpenHandle has no O_NONBLOCK, hence the
/// two libc calls; statx is used rather than fstat because its struct layout is the same on
/// every Linux architecture (and glibc has exported it since 2.28).
/// </summary>
internal static partial class KeyFileOpener
{
    private const int ORdOnly = 0;
    private const int ONoCtty = 0x100;      // 0400: a terminal never becomes our controlling tty
    private const int ONonBlock = 0x800;    // 04000
    private const int OCloExec = 0x80000;   // 02000000
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const int StatxSize = 256;
    private const int StatxModeOffset = 28;

    private const int ENoEnt = 2;
    private const int ENxIo = 6;
    private const int EAcces = 13;
    private const int ENotDir = 20;
    private const int ELoop = 40;

    /// <summary>The outcome: a handle to a regular file, no such file, or why the file cannot be a key file.</summary>
    internal readonly record struct Result(SafeFileHandle? Handle, bool NotFound, string? Problem, bool PermissionDenied);

    /// <summary>Opens <paramref name="path"/> for reading without ever blocking, and checks it is a regular file.</summary>
    public static Result Open(string path)
    {
        int fd = NativeOpen(path, ORdOnly | ONonBlock | OCloExec | ONoCtty);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno switch
            {
                ENoEnt or ENotDir => new Result(null, true, null, false),
                EAcces => new Result(null, false, "permission denied (files must be readable by the mailseal user)", true),
                ENxIo => new Result(null, false, "is a socket or a device without a reader, not a regular file", false),
                ELoop => new Result(null, false, "is a symlink loop", false),
                _ => new Result(null, false, "cannot be opened: " + Marshal.GetPInvokeErrorMessage(errno), false),
            };
        }

        SafeFileHandle? handle = new(fd, ownsHandle: true);
        try
        {
            Span<byte> buffer = stackalloc byte[StatxSize];
            if (NativeStatx(fd, "", AtEmptyPath, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return new Result(null, false, "cannot be examined: " + Marshal.GetPInvokeErrorMessage(errno), false);
            }

            int type = BitConverter.ToUInt16(buffer.Slice(StatxModeOffset, 2)) & 0xF000;
            if (type != 0x8000)
            {
                return new Result(null, false, "is " + Describe(type) + ", not a regular file (a key file must be a file or a symlink to one)", false);
            }

            var result = new Result(handle, false, null, false);
            handle = null; // the caller owns it now
            return result;
        }
        finally
        {
            handle?.Dispose();
        }
    }

    private static string Describe(int type) => type switch
    {
        0x1000 => "a FIFO (named pipe)",
        0x2000 => "a character device",
        0x4000 => "a directory",
        0x6000 => "a block device",
        0xC000 => "a socket",
        _ => "not a file",
    };

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeStatx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
