using System.Runtime.InteropServices;
using System.Text;

namespace Mailseal.Core.Logging;

/// <summary>
/// Sends datagrams to a unix socket (the syslog socket, /dev/log) through libc's socket(2) and
/// sendto(2). Not System.Net.Sockets: its first socket starts the runtime's socket event engine,
/// a thread and an epoll set, which a per-message filter pays on every run for one log line
/// (about 2 ms of a 10 KB message's time, measured with perf in docs/native-binaries.md).
/// Non-blocking: a full or missing receiver drops the datagram, never delays the mail.
/// </summary>
internal sealed partial class UnixDatagramSender : IDisposable
{
    private const int AfUnix = 1;
    private const int SockDgram = 2;
    private const int SockNonBlock = 0x800;
    private const int SockCloexec = 0x80000;
    private const int MsgNoSignal = 0x4000;
    private const int SunPathLength = 108;

    private readonly byte[] _address;
    private int _fd = -1;

    /// <summary>Prepares a sender for the socket at <paramref name="path"/> (at most 107 bytes).</summary>
    public UnixDatagramSender(string path)
    {
        var name = Encoding.UTF8.GetBytes(path);
        if (name.Length >= SunPathLength)
            throw new ArgumentException($"socket path longer than {SunPathLength - 1} bytes: {path}", nameof(path));
        // struct sockaddr_un: sa_family_t (2 bytes, host order), then the NUL-terminated path.
        _address = new byte[2 + name.Length + 1];
        BitConverter.TryWriteBytes(_address.AsSpan(0, 2), (ushort)AfUnix);
        name.CopyTo(_address, 2);
    }

    /// <summary>Sends one datagram; false when it could not be sent (no socket, nobody listening, receiver full).</summary>
    public bool TrySend(ReadOnlySpan<byte> datagram)
    {
        if (_fd < 0)
        {
            _fd = socket(AfUnix, SockDgram | SockNonBlock | SockCloexec, 0);
            if (_fd < 0)
                return false;
        }

        return sendto(_fd, datagram, (nuint)datagram.Length, MsgNoSignal, _address, (uint)_address.Length) == datagram.Length;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_fd >= 0)
        {
            _ = close(_fd);
            _fd = -1;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendto(int fd, ReadOnlySpan<byte> buffer, nuint length, int flags, ReadOnlySpan<byte> address, uint addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
