using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Mailseal.Core.Systemd;
using Serilog;

namespace Mailseal.Policy;

/// <summary>
/// The Postfix policy-delegation server (SMTPD_POLICY_README), shared by mailseal-spfd and
/// mailseal-greyd. Reads <c>name=value</c> lines up to a blank line, asks the
/// <see cref="IPolicyHandler"/>, writes exactly <c>action=...</c> and a blank line, and repeats
/// while the client keeps the connection open. On a malformed or oversized request, a timeout
/// or a handler failure it logs one line and closes the connection without a reply, so Postfix
/// applies its own default action.
/// <para>
/// Spawn mode: <see cref="ServeConnectionAsync"/> on stdin/stdout, one connection, as spawn(8)
/// runs a policy program. Daemon mode: <see cref="Listen"/> then <see cref="RunAsync"/>, any
/// number of <c>inet:</c>/<c>unix:</c> endpoints, asynchronous sockets (or, for an
/// <see cref="IBatchPolicyHandler"/>, one epoll thread: <see cref="PolicyEventLoop"/>), at most
/// <see cref="PolicyServerOptions.MaxConnections"/> connections at once.
/// </para>
/// </summary>
public sealed class PolicyServer : IAsyncDisposable
{
    private readonly IPolicyHandler _handler;
    private readonly PolicyServerOptions _options;
    private readonly ILogger _log;
    private readonly List<(Socket Socket, PolicyEndpoint Endpoint)> _listeners = [];
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private long _nextConnectionId;
    private int _active;
    private long _served;
    private long _refused;
    private long _dropped;

    /// <summary>Creates a server.</summary>
    /// <param name="handler">Decides each request.</param>
    /// <param name="options">Limits; validated here.</param>
    /// <param name="log">Where connection problems are logged.</param>
    public PolicyServer(IPolicyHandler handler, PolicyServerOptions options, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        _handler = handler;
        _options = options;
        _log = log;
    }

    /// <summary>Connections open right now.</summary>
    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>The .NET setting that runs socket completions on the epoll thread.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Asks .NET to continue socket operations on its event thread instead of handing each
    /// completion to the thread pool (<see cref="InlineCompletionsVariable"/>). A policy request
    /// is decided in microseconds, mostly from cached DNS answers, and never blocks; the hand-off
    /// and the thread wake-up cost more than the work (<c>tools/bench.sh spfd</c>: about 30%
    /// more requests per second on two cores). Call it before the process's first socket
    /// operation; a value the admin put in the environment wins.
    /// </summary>
    public static void PreferInlineSocketCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
    }

    /// <summary>Requests answered since start.</summary>
    public long RequestsServed => Interlocked.Read(ref _served);

    /// <summary>Connections closed at once because <see cref="PolicyServerOptions.MaxConnections"/> were open.</summary>
    public long ConnectionsRefused => Interlocked.Read(ref _refused);

    /// <summary>Connections closed without a reply (malformed, oversized, timeout, handler failure).</summary>
    public long ConnectionsDropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Serves one connection: requests until the peer closes, a limit is broken or
    /// <paramref name="cancellationToken"/> fires. Never throws for anything the peer does.
    /// </summary>
    /// <param name="input">What the client writes (stdin in spawn mode).</param>
    /// <param name="output">Where replies go (stdout in spawn mode).</param>
    /// <param name="peer">Who the client is, for log lines.</param>
    /// <param name="cancellationToken">Stops serving.</param>
    /// <returns><c>true</c> if the connection ended cleanly, <c>false</c> if it was dropped.</returns>
    public async Task<bool> ServeConnectionAsync(Stream input, Stream output, string peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        using var reader = new PolicyRequestReader(input, _options);
        // One handler timer per connection, re-armed for each request and disarmed after it
        // (TryReset), rather than a linked source and a timer allocated per request.
        using var handlerTimeout = new ReusableTimeout(cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            PolicyRequest? request;
            try
            {
                request = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PolicyProtocolException e)
            {
                Interlocked.Increment(ref _dropped);
                _log.Warning("{Peer}: {Reason}; disconnecting without reply", peer, e.Message);
                return false;
            }
            catch (TimeoutException e)
            {
                _log.Debug("{Peer}: {Reason}; disconnecting", peer, e.Message);
                return true;
            }
            catch (IOException e)
            {
                _log.Debug("{Peer}: read failed: {Reason}", peer, e.Message);
                return false;
            }
            catch (OperationCanceledException)
            {
                return true;
            }

            if (request is null)
                return true;

            PolicyResponse response;
            {
                var handlerToken = handlerTimeout.Start(_options.HandlerTimeout);
                try
                {
                    // WaitAsync also bounds a handler that ignores its token; a handler that
                    // answered at once needs no timer.
                    var pending = _handler.HandleAsync(request, handlerToken);
                    response = pending.IsCompletedSuccessfully
                        ? pending.Result
                        : await pending.AsTask().WaitAsync(_options.HandlerTimeout, cancellationToken).ConfigureAwait(false);
                    handlerTimeout.Stop();
                }
                catch (Exception e) when (e is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _dropped);
                    _log.Warning("{Peer}: no decision within {Timeout} ms; disconnecting without reply", peer, (long)_options.HandlerTimeout.TotalMilliseconds);
                    return false;
                }
                catch (OperationCanceledException)
                {
                    return true;
                }
#pragma warning disable CA1031 // a handler bug must close this connection, not the daemon
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref _dropped);
                    _log.Error("{Peer}: policy handler failed: {Type}: {Reason}; disconnecting without reply", peer, e.GetType().Name, e.Message);
                    return false;
                }
            }

            try
            {
                await output.WriteAsync(response.WireBytes, cancellationToken).ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                _log.Debug("{Peer}: write failed: {Reason}", peer, e.Message);
                return false;
            }

            Interlocked.Increment(ref _served);
        }

        return true;
    }

    /// <summary>
    /// Binds every endpoint (a stale unix socket file is replaced; any other file is not).
    /// Throws <see cref="SocketException"/> or <see cref="IOException"/> with the endpoint named.
    /// </summary>
    /// <returns>The bound addresses, in order (an inet port 0 becomes the port chosen).</returns>
    public IReadOnlyList<EndPoint> Listen(IEnumerable<PolicyEndpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var bound = new List<EndPoint>();
        foreach (var endpoint in endpoints)
        {
            Socket socket;
            if (endpoint.UnixPath is { } path)
            {
                if (File.Exists(path))
                {
                    if (!IsStaleSocket(path))
                        throw new IOException($"{endpoint}: {path} exists and is not a stale socket");
                    File.Delete(path);
                }

                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    socket.Bind(endpoint.EndPoint);
                    if (!OperatingSystem.IsWindows())
                        File.SetUnixFileMode(path, _options.UnixSocketMode);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            else
            {
                var ip = (IPEndPoint)endpoint.EndPoint;
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

            socket.Listen(_options.ListenBacklog);
            _listeners.Add((socket, endpoint));
            bound.Add(socket.LocalEndPoint!);
            _log.Information("listening on {Endpoint}", socket.LocalEndPoint is IPEndPoint ep ? $"inet:{ep}" : endpoint.Text);
        }

        return bound;
    }

    /// <summary>
    /// Accepts and serves connections on every bound endpoint until cancelled, then waits for
    /// open connections to end. A handler that decides in batches
    /// (<see cref="IBatchPolicyHandler.DecidesInBatches"/>) is served by one epoll thread on
    /// Linux (<see cref="PolicyServerOptions.UseEventLoop"/>); any other by asynchronous sockets.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_listeners.Count == 0)
            throw new InvalidOperationException("no endpoint bound: call Listen first");
        List<Task> loops;
        PolicyEventLoop? eventLoop = null;
        if (_options.UseEventLoop && OperatingSystem.IsLinux() && _handler is IBatchPolicyHandler { DecidesInBatches: true } batch)
        {
            eventLoop = new PolicyEventLoop(this, batch, _options, _log, _listeners);
            var loop = eventLoop;
            loops = [Task.Factory.StartNew(() => loop.Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)];
        }
        else
        {
            loops = _listeners.Select(l => AcceptLoopAsync(l.Socket, l.Endpoint, cancellationToken)).ToList();
        }

        using (eventLoop)
        {
            // systemd (Type=notify) counts the service as started only now: every listener is bound
            // and accepting. STOPPING=1 goes out the moment the stop is asked for (SIGTERM).
            var notifier = _options.Notifier;
            using var stopping = cancellationToken.Register(() => notifier.Stopping());
            if (notifier.IsEnabled && !notifier.Ready())
                _log.Warning("could not send READY=1 to systemd's notify socket (${Variable})", SystemdNotifier.SocketVariable);
            await Task.WhenAll(loops).ConfigureAwait(false);
            await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the listening sockets and removes unix socket files this server created.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (socket, endpoint) in _listeners)
        {
            socket.Dispose();
            if (endpoint.UnixPath is { } path && File.Exists(path) && new FileInfo(path).Length == 0)
                File.Delete(path);
        }

        _listeners.Clear();
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync(Socket listener, PolicyEndpoint endpoint, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // EMFILE and friends: back off a moment instead of spinning.
                _log.Warning("{Endpoint}: accept failed: {Reason}", endpoint.Text, e.Message);
                try
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (!TryOpenConnection())
            {
                _log.Warning("{Endpoint}: {Max} connections open; closing a new one", endpoint.Text, _options.MaxConnections);
                client.Dispose();
                continue;
            }

            var id = Interlocked.Increment(ref _nextConnectionId);
            _connections[id] = HandleClientAsync(id, client, cancellationToken);
        }
    }

    private async Task HandleClientAsync(long id, Socket client, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            var peer = client.RemoteEndPoint is IPEndPoint ip ? ip.ToString() : "unix:" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var stream = new NetworkStream(client, ownsSocket: true);
            await using (stream.ConfigureAwait(false))
                await ServeConnectionAsync(stream, stream, peer, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // one connection's failure must never end the daemon
        catch (Exception e)
#pragma warning restore CA1031
        {
            _log.Error("connection {Id} failed: {Type}: {Reason}", id, e.GetType().Name, e.Message);
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _active);
            _connections.TryRemove(id, out _);
        }
    }

    /// <summary>Counts a new connection; false (and counted as refused) when <see cref="PolicyServerOptions.MaxConnections"/> are open.</summary>
    internal bool TryOpenConnection()
    {
        if (Interlocked.Increment(ref _active) <= _options.MaxConnections)
            return true;
        Interlocked.Decrement(ref _active);
        Interlocked.Increment(ref _refused);
        return false;
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _active);

    internal void CountServed() => Interlocked.Increment(ref _served);

    internal void CountDropped() => Interlocked.Increment(ref _dropped);

    /// <summary>
    /// True for a socket file nobody listens on. .NET cannot ask for the file type, so: a path
    /// that refuses a connection and has no content is taken as a stale socket (a non-empty
    /// regular file is never removed).
    /// </summary>
    private static bool IsStaleSocket(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length != 0)
            return false;
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            throw new IOException($"{path} is in use by another running server");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }
}
