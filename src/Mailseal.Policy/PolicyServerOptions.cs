using Mailseal.Core.Systemd;

namespace Mailseal.Policy;

/// <summary>
/// Every limit the policy server enforces, with defaults that never bite a real Postfix request
/// (Postfix's own <c>line_length_limit</c> is 2048 bytes and a request has about 40 attributes)
/// but stop a hostile or broken client from holding memory, sockets or time.
/// A request that breaks a limit is logged and the connection closed without a reply.
/// </summary>
public sealed record PolicyServerOptions
{
    /// <summary>
    /// Longest <c>name=value</c> line in bytes, without its newline (default 4096).
    /// Stops a client from growing one line without end.
    /// </summary>
    public int MaxLineLength { get; init; } = 4096;

    /// <summary>Most attributes in one request (default 100). Stops an endless request made of short lines.</summary>
    public int MaxAttributes { get; init; } = 100;

    /// <summary>
    /// Most bytes in one request, all lines together (default 65536). Bounds the memory one
    /// connection can hold even when every line is just under <see cref="MaxLineLength"/>.
    /// </summary>
    public int MaxRequestBytes { get; init; } = 65536;

    /// <summary>
    /// Longest time from the first byte of a request to its blank line (default 100 s, Postfix's
    /// <c>smtpd_policy_service_timeout</c>). Stops slow clients that trickle a request byte by byte.
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Longest wait for the next request on an open connection (default 300 s, Postfix's
    /// <c>smtpd_policy_service_max_idle</c>). Postfix closes idle policy connections itself
    /// after this long; a client that connects and says nothing is dropped.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Longest time a handler may take to answer one request (default 100 s). Past it the
    /// connection is closed without a reply, so Postfix applies its default action.
    /// </summary>
    public TimeSpan HandlerTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Most connections served at once in daemon mode (default 1024). A connection beyond it is
    /// accepted and closed at once, so it cannot queue up and hold a descriptor.
    /// </summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>Pending connections the kernel may queue per listening socket (default 512).</summary>
    public int ListenBacklog { get; init; } = 512;

    /// <summary>
    /// Permissions of a <c>unix:</c> listening socket (default 0666 minus nothing: Postfix's smtpd
    /// runs as user postfix and must be able to connect; restrict it with the directory).
    /// </summary>
    public UnixFileMode UnixSocketMode { get; init; } =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>
    /// Serve a handler that decides in batches (<see cref="IBatchPolicyHandler"/>) from one
    /// epoll thread on Linux (default true); false keeps the asynchronous server for every handler.
    /// </summary>
    public bool UseEventLoop { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> when a limit is out of range.</summary>
    public void Validate()
    {
        if (MaxLineLength is < 64 or > 1 << 20)
            throw new ArgumentException($"max line length must be 64..1048576 bytes, not {MaxLineLength}");
        if (MaxAttributes is < 1 or > 10000)
            throw new ArgumentException($"max attributes must be 1..10000, not {MaxAttributes}");
        if (MaxRequestBytes < MaxLineLength)
            throw new ArgumentException($"max request bytes ({MaxRequestBytes}) must be at least the max line length ({MaxLineLength})");
        if (ReadTimeout <= TimeSpan.Zero || IdleTimeout <= TimeSpan.Zero || HandlerTimeout <= TimeSpan.Zero)
            throw new ArgumentException("timeouts must be positive");
        if (MaxConnections < 1)
            throw new ArgumentException($"max connections must be at least 1, not {MaxConnections}");
        if (ListenBacklog < 1)
            throw new ArgumentException($"listen backlog must be at least 1, not {ListenBacklog}");
    }

    /// <summary>
    /// Told <c>READY=1</c> once <see cref="PolicyServer.RunAsync"/> accepts on the bound
    /// endpoints and <c>STOPPING=1</c> when it is cancelled (default: the socket systemd names
    /// in <c>$NOTIFY_SOCKET</c>; a no-op without it).
    /// </summary>
    public SystemdNotifier Notifier { get; init; } = SystemdNotifier.FromEnvironment();
}
