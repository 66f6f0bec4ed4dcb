using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Serilog;

namespace Mailseal.Pipeline.Server;

/// <summary>
/// A small streaming SMTP/LMTP server for an after-queue content filter (Postfix
/// FILTER_README, "advanced content filter"): Postfix's smtp or lmtp client delivers each
/// message to it, the <see cref="ISmtpMessageHandler"/> processes the message while it streams
/// in, and the reply to the end of DATA is sent only when the handler returns.
/// <para>
/// Why not the SmtpServer package (11.1, served here): its message store receives the message
/// as one <c>ReadOnlySequence&lt;byte&gt;</c> only after the final dot, so every message sits
/// whole in memory (a 50 MB message is 50 MB per session, times the sessions) and processing
/// cannot start before the last byte arrived; its session also has no hook to answer 4xx after
/// the data for a failure we find while streaming. The filter needs the opposite: the body
/// flowing from the socket into the encryptors and the re-injection connections with
/// back-pressure, one read buffer per session, so memory stays flat as messages grow. The
/// protocol a filter needs from its one trusted client (Postfix on loopback) is small: EHLO/LHLO,
/// XFORWARD, MAIL, RCPT, DATA, RSET, NOOP, QUIT, with PIPELINING; this is it.
/// </para>
/// <para>
/// Limits (<see cref="SmtpServerOptions"/>): sessions at once (back-pressure at accept), message
/// size, command line length, recipients, command and data timeouts, errors per session.
/// Stopping: <see cref="RunAsync"/>'s stop token closes the listeners, lets every message in
/// flight finish and be answered, answers 421 to the next command of every session and returns
/// when all sessions ended; the kill token abandons what is in flight (no reply, so the client
/// keeps the message).
/// </para>
/// </summary>
public sealed class SmtpListener : IAsyncDisposable
{
    private readonly ISmtpMessageHandler _handler;
    private readonly SmtpServerOptions _options;
    private readonly ILogger _log;
    private readonly List<(Socket Socket, string Endpoint, string? UnixPath)> _listeners = [];
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private readonly SemaphoreSlim _slots;
    private long _nextId;
    private long _accepted;
    private long _connections;

    /// <summary>Creates a server.</summary>
    /// <param name="handler">Processes each message.</param>
    /// <param name="options">Limits; validated here (<see cref="ArgumentException"/>).</param>
    /// <param name="log">Connection-level problems.</param>
    public SmtpListener(ISmtpMessageHandler handler, SmtpServerOptions options, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        _handler = handler;
        _options = options;
        _log = log;
        _slots = new SemaphoreSlim(options.MaxSessions, options.MaxSessions);
    }

    /// <summary>Sessions open now.</summary>
    public int ActiveSessions => _sessions.Count;

    /// <summary>Connections accepted since start.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Messages answered 2xx since start.</summary>
    public long MessagesAccepted => Interlocked.Read(ref _accepted);

    /// <summary>
    /// Parses a listening address: <c>inet:IP:PORT</c> (<c>[IPV6]:PORT</c>; port 0 picks a free
    /// one) or <c>unix:/PATH</c>. Throws <see cref="FormatException"/> with a one-line reason.
    /// </summary>
    public static EndPoint ParseEndpoint(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (t.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = t[5..];
            if (path.Length == 0 || path[0] != '/' || path.Length > 100)
                throw new FormatException($"listen address '{text}': a unix socket needs an absolute path of at most 100 bytes");
            return new UnixDomainSocketEndPoint(path);
        }

        if (t.StartsWith("inet:", StringComparison.Ordinal))
            t = t[5..];
        int colon = t.LastIndexOf(':');
        if (colon <= 0)
            throw new FormatException($"listen address '{text}': expected inet:IP:PORT or unix:/PATH");
        string host = t[..colon].Trim('[', ']');
        if (!IPAddress.TryParse(host, out var ip))
            throw new FormatException($"listen address '{text}': the host must be an IP address");
        if (!ushort.TryParse(t[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ushort port))
            throw new FormatException($"listen address '{text}': '{t[(colon + 1)..]}' is not a port number");
        return new IPEndPoint(ip, port);
    }

    /// <summary>
    /// Binds each address (see <see cref="ParseEndpoint"/>; a stale unix socket file is replaced,
    /// any other file is not). Returns the bound addresses (port 0 becomes the one chosen).
    /// </summary>
    public IReadOnlyList<EndPoint> Listen(IEnumerable<EndPoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var bound = new List<EndPoint>();
        foreach (var endpoint in endpoints)
        {
            Socket socket;
            string? unixPath = null;
            if (endpoint is UnixDomainSocketEndPoint unix)
            {
                unixPath = unix.ToString();
                RemoveStaleSocket(unixPath);
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    socket.Bind(unix);
                    File.SetUnixFileMode(unixPath, _options.UnixSocketMode);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            else if (endpoint is IPEndPoint ip)
            {
                socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(ip);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            else
            {
                throw new FormatException($"listen address {endpoint}: must be an IP or unix socket address");
            }

            socket.Listen(_options.ListenBacklog);
            string name = socket.LocalEndPoint is IPEndPoint e ? $"inet:{e}" : "unix:" + unixPath;
            _listeners.Add((socket, name, unixPath));
            bound.Add(socket.LocalEndPoint!);
            _log.Information("listening on {Endpoint} ({Protocol})", name, _options.Protocol);
        }

        return bound;
    }

    /// <summary>Serves until <paramref name="stop"/> (graceful) or <paramref name="kill"/> fires; returns when every session ended.</summary>
    public async Task RunAsync(CancellationToken stop, CancellationToken kill)
    {
        if (_listeners.Count == 0)
            throw new InvalidOperationException("no endpoint bound: call Listen first");
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stop, kill);
        // The sessions learn of a stop only after the listeners are closed, so a client that
        // has its 421 can never connect again to a server that is going away (a listening
        // socket completes TCP handshakes whether or not anyone calls accept).
        using var sessionsStop = new CancellationTokenSource();
        using var onStop = either.Token.Register(() =>
        {
            CloseListeners();
            if (stop.IsCancellationRequested)
                sessionsStop.Cancel();
        });
        var loops = _listeners.Select(l => AcceptLoopAsync(l.Socket, l.Endpoint, either.Token, sessionsStop.Token, kill)).ToList();
        await Task.WhenAll(loops).ConfigureAwait(false);
        CloseListeners();
        await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
    }

    /// <summary>Closes the listening sockets and removes the unix socket files this server created.</summary>
    public async ValueTask DisposeAsync()
    {
        CloseListeners();
        await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
        _slots.Dispose();
    }

    private void CloseListeners()
    {
        lock (_listeners)
        {
            foreach (var (socket, _, path) in _listeners)
            {
                socket.Dispose();
                if (path is not null && File.Exists(path) && new FileInfo(path).Length == 0)
                    File.Delete(path);
            }

            _listeners.Clear();
        }
    }

    private async Task AcceptLoopAsync(Socket listener, string endpoint, CancellationToken either, CancellationToken stop, CancellationToken kill)
    {
        while (!either.IsCancellationRequested)
        {
            try
            {
                // Back-pressure: no accept (so no greeting) until a session slot is free.
                await _slots.WaitAsync(either).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Socket client;
            try
            {
                client = await listener.AcceptAsync(either).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                _slots.Release();
                return;
            }
            catch (SocketException) when (either.IsCancellationRequested)
            {
                // The stop closed the listener under the pending accept.
                _slots.Release();
                return;
            }
            catch (SocketException e)
            {
                _slots.Release();
                _log.Warning("{Endpoint}: accept failed: {Reason}", endpoint, e.Message);
                try
                {
                    await Task.Delay(100, either).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Interlocked.Increment(ref _connections);
            long id = Interlocked.Increment(ref _nextId);
            _sessions[id] = ServeAsync(id, client, stop, kill);
        }
    }

    private async Task ServeAsync(long id, Socket client, CancellationToken stop, CancellationToken kill)
    {
        await Task.Yield();
        try
        {
            if (client.AddressFamily != AddressFamily.Unix)
                client.NoDelay = true;
            string peer = client.RemoteEndPoint is IPEndPoint ip ? ip.ToString() : "unix";
            var stream = new NetworkStream(client, ownsSocket: true);
            await using (stream.ConfigureAwait(false))
            {
                var session = new SmtpSession(stream, _options, _handler, _log, peer);
                await session.RunAsync(stop, kill).ConfigureAwait(false);
                Interlocked.Add(ref _accepted, session.Accepted);
            }
        }
#pragma warning disable CA1031 // one session's failure must never end the daemon
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log.Error("session {Id} failed: {Type}: {Reason}", id, e.GetType().Name, e.Message);
        }
        finally
        {
            client.Dispose();
            _sessions.TryRemove(id, out _);
            _slots.Release();
        }
    }

    private static void RemoveStaleSocket(string path)
    {
        if (!File.Exists(path))
            return;
        if (new FileInfo(path).Length != 0)
            throw new IOException($"{path} exists and is not a socket");
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path);
            return;
        }

        throw new IOException($"{path} is in use by another running server");
    }
}
