using System.Net.Sockets;
using System.Text;

namespace Mailseal.Core.Systemd;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram to the AF_UNIX socket systemd names in
/// <c>$NOTIFY_SOCKET</c>, so a <c>Type=notify</c> unit is "started" only once the daemon's
/// listener is bound (<c>READY=1</c>) and systemd knows a stop is under way (<c>STOPPING=1</c>).
/// A path starting with <c>@</c> is in the abstract namespace, as sd_notify reads it. Without the
/// variable (started by hand, by Postfix's spawn(8), or by a test) every call is a no-op.
/// Sending never throws: a daemon that cannot tell systemd is still a working daemon, and
/// systemd's start timeout then reports the problem; the caller may log the false result.
/// </summary>
public sealed class SystemdNotifier
{
    /// <summary>The environment variable systemd sets for a <c>Type=notify</c> service.</summary>
    public const string SocketVariable = "NOTIFY_SOCKET";

    // sd_notify's own bound: sockaddr_un.sun_path is 108 bytes, NUL included.
    private const int MaxPathBytes = 107;

    private readonly UnixDomainSocketEndPoint? _endPoint;

    /// <summary>A notifier for the socket <paramref name="socketPath"/> (a path, or <c>@name</c> for the abstract namespace); null or empty = disabled.</summary>
    public SystemdNotifier(string? socketPath)
    {
        if (string.IsNullOrEmpty(socketPath) || socketPath.Length < 2 || Encoding.UTF8.GetByteCount(socketPath) > MaxPathBytes)
            return;
        if (socketPath[0] == '@')
            _endPoint = new UnixDomainSocketEndPoint("\0" + socketPath[1..]);
        else if (socketPath[0] == '/')
            _endPoint = new UnixDomainSocketEndPoint(socketPath);
        // Anything else (sd_notify also knows vsock: addresses) is not a socket we speak to.
    }

    /// <summary>The notifier <c>$NOTIFY_SOCKET</c> names (disabled when the variable is not set).</summary>
    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable(SocketVariable));

    /// <summary>True when there is a socket to notify.</summary>
    public bool IsEnabled => _endPoint is not null;

    /// <summary>Tells systemd the service is up: its listeners are bound and it accepts connections.</summary>
    /// <returns>True when the datagram was sent; false when disabled or the send failed.</returns>
    public bool Ready() => Notify("READY=1\nMAINPID=" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Tells systemd the service is shutting down (on SIGTERM), before the listeners close.</summary>
    /// <returns>True when the datagram was sent; false when disabled or the send failed.</returns>
    public bool Stopping() => Notify("STOPPING=1");

    /// <summary>Sends <paramref name="state"/> (newline-separated <c>NAME=value</c> assignments, sd_notify's format).</summary>
    /// <returns>True when the datagram was sent; false when disabled or the send failed.</returns>
    public bool Notify(string state)
    {
        ArgumentException.ThrowIfNullOrEmpty(state);
        if (_endPoint is null)
            return false;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            byte[] datagram = Encoding.UTF8.GetBytes(state);
            return socket.SendTo(datagram, SocketFlags.None, _endPoint) == datagram.Length;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
