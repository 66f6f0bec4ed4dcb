namespace Mailseal.Pipeline.Server;

/// <summary>
/// The limits of <see cref="SmtpListener"/>, each a named option of mailseal-filterd, each with
/// the attack or accident it stops. The peer is Postfix's smtp/lmtp client on loopback, so the
/// defaults are Postfix's own where Postfix has one; they must never bite a real Postfix.
/// </summary>
public sealed record SmtpServerOptions
{
    /// <summary>SMTP or LMTP.</summary>
    public SmtpServerProtocol Protocol { get; init; } = SmtpServerProtocol.Smtp;

    /// <summary>The name in the greeting and the EHLO reply.</summary>
    public string ServerName { get; init; } = "localhost";

    /// <summary>
    /// <c>max_sessions</c>: sessions served at once; match the filter transport's process limit
    /// in master.cf. A connection beyond it is accepted by the kernel but gets its greeting only
    /// when a session ends (back-pressure: Postfix's client waits, it is not refused and does
    /// not mark the filter dead). Stops a flood from exhausting memory and file descriptors.
    /// </summary>
    public int MaxSessions { get; init; } = 20;

    /// <summary>
    /// <c>max_message_size</c>: the largest message in bytes (after dot-unstuffing); announced in
    /// EHLO as SIZE, a larger MAIL FROM SIZE= is refused at once, a larger DATA is read to its end
    /// and answered 552. Keep it at or above main.cf's message_size_limit (10240000 by default).
    /// </summary>
    public long MaxMessageSize { get; init; } = 51_200_000;

    /// <summary>
    /// <c>max_line_length</c>: the longest command line in bytes (Postfix's smtpd reads 2048;
    /// RFC 5321 requires 512). A longer one is answered 500 and discarded: stops a peer from making
    /// the server buffer without end. DATA lines are not buffered (the body streams through), so
    /// they need no limit beyond the message size.
    /// </summary>
    public int MaxLineLength { get; init; } = 2048;

    /// <summary><c>max_recipients</c>: recipients in one transaction; beyond, 452 4.5.3 (the client sends the rest in another).</summary>
    public int MaxRecipients { get; init; } = 1000;

    /// <summary>
    /// <c>command_timeout</c>: the longest wait for a command line (Postfix's smtpd_timeout is 300 s).
    /// Stops an idle or stalled client from holding a session slot.
    /// </summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// <c>data_timeout</c>: the longest wait for the next bytes of DATA (per read, as Postfix's
    /// smtpd_timeout); the connection is dropped and nothing was accepted.
    /// </summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Errors in one session before it is closed (Postfix's smtpd_hard_error_limit is 20).</summary>
    public int MaxErrors { get; init; } = 20;

    /// <summary>Bytes read from the socket at a time (the only per-session buffer besides the reply).</summary>
    public int BufferSize { get; init; } = 64 * 1024;

    /// <summary>Permissions of a unix socket the server creates (0660: the socket's group, e.g. postfix, may connect).</summary>
    public UnixFileMode UnixSocketMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Pending connections the kernel queues (listen(2) backlog).</summary>
    public int ListenBacklog { get; init; } = 128;

    /// <summary>Throws <see cref="ArgumentException"/> with the option name for a value out of range.</summary>
    public void Validate()
    {
        if (MaxSessions < 1 || MaxSessions > 100_000)
            throw new ArgumentException("max_sessions must be 1..100000");
        if (MaxMessageSize < 1024)
            throw new ArgumentException("max_message_size must be at least 1024 bytes");
        if (MaxLineLength < 512 || MaxLineLength > 1024 * 1024)
            throw new ArgumentException("max_line_length must be 512..1048576 (RFC 5321 requires 512)");
        if (MaxRecipients < 1)
            throw new ArgumentException("max_recipients must be at least 1");
        if (CommandTimeout <= TimeSpan.Zero || DataTimeout <= TimeSpan.Zero)
            throw new ArgumentException("command_timeout and data_timeout must be positive");
        if (BufferSize < 1024 || BufferSize <= MaxLineLength)
            throw new ArgumentException("the read buffer must be at least 1024 bytes and longer than max_line_length");
        if (ServerName.Length == 0 || ServerName.Any(c => c <= ' ' || c >= 0x7F))
            throw new ArgumentException("the server name must be printable ASCII without spaces");
    }
}
