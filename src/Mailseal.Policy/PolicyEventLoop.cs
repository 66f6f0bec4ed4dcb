using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Serilog;

namespace Mailseal.Policy;

/// <summary>
/// Daemon mode for an <see cref="IBatchPolicyHandler"/>: one thread waits on every listening
/// socket and connection with epoll(7), reads what each ready connection sent, decides every
/// request of that round in one <see cref="IBatchPolicyHandler.DecideBatch"/> call (the embedded
/// greylist commits them in one transaction) and writes the replies. Nothing is handed to
/// another thread, and no task, timer or linked token exists per request.
/// <para>
/// Same protocol, limits, counters and log lines as the asynchronous server
/// (<see cref="PolicyServer.ServeConnectionAsync"/>): the bytes go through the same
/// <see cref="PolicyRequestParser"/>; a connection is idle until the first byte of a request,
/// then the read timeout runs until its blank line; a connection that breaks a limit is logged,
/// gets the replies to the requests it completed before, and is closed. Beyond it: a client that
/// does not read its replies is not read either, and is dropped after the read timeout; at most
/// <see cref="MaxRequestsPerRound"/> requests of one connection go into one round, so a client
/// that sends a burst cannot starve the others or queue replies without bound.
/// </para>
/// </summary>
internal sealed class PolicyEventLoop : IDisposable
{
    /// <summary>Most requests of one connection decided in one round; the rest wait for the next round.</summary>
    public const int MaxRequestsPerRound = 32;

    /// <summary>Most connections accepted from one listener per round.</summary>
    private const int MaxAcceptsPerRound = 64;

    private const ulong ListenerTag = 1UL << 63;
    private const ulong WakeupTag = 1UL << 62;

    /// <summary>How long a listener whose accept failed (EMFILE and friends) rests before it is watched again.</summary>
    private static readonly TimeSpan AcceptBackoff = TimeSpan.FromMilliseconds(100);

    private readonly PolicyServer _server;
    private readonly IBatchPolicyHandler _handler;
    private readonly PolicyServerOptions _options;
    private readonly ILogger _log;
    private readonly IReadOnlyList<(Socket Socket, PolicyEndpoint Endpoint)> _listeners;
    private readonly long[] _listenerRestsUntil;
    private readonly Epoll _epoll = new();
    private readonly int _wakeup = Epoll.CreateEventFd();
    private readonly Epoll.Event[] _events = new Epoll.Event[256];
    private readonly List<Connection?> _slots = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly List<int> _slotsFreedThisRound = [];
    private readonly List<PolicyRequest> _requests = [];
    private readonly List<Connection> _requestConnections = [];
    private readonly List<Connection> _closeAfterReplies = [];
    private List<Connection> _backlog = [];
    private List<Connection> _carried = [];
    private PolicyResponse[] _responses = new PolicyResponse[64];
    private readonly long _idleMs;
    private readonly long _readMs;
    private readonly long _sweepMs;
    private long _nextSweep;
    private long _connectionIds;

    public PolicyEventLoop(PolicyServer server, IBatchPolicyHandler handler, PolicyServerOptions options, ILogger log, IReadOnlyList<(Socket Socket, PolicyEndpoint Endpoint)> listeners)
    {
        _server = server;
        _handler = handler;
        _options = options;
        _log = log;
        _listeners = listeners;
        _listenerRestsUntil = new long[listeners.Count];
        _idleMs = (long)options.IdleTimeout.TotalMilliseconds;
        _readMs = (long)options.ReadTimeout.TotalMilliseconds;
        // Timeouts are checked by a sweep over the open connections, a few times per shortest timeout.
        _sweepMs = Math.Clamp(Math.Min(_idleMs, _readMs) / 4, 10, 250);
    }

    /// <summary>Serves until <paramref name="cancellationToken"/> fires, then closes every connection it holds.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        using var wake = cancellationToken.Register(static s => Epoll.Signal((int)s!), _wakeup);
        for (var i = 0; i < _listeners.Count; i++)
        {
            _listeners[i].Socket.Blocking = false;
            _epoll.Add(_listeners[i].Socket.Handle, ListenerTag | (uint)i);
        }

        _epoll.Add(_wakeup, WakeupTag);
        _nextSweep = Environment.TickCount64 + _sweepMs;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
                RunRound(cancellationToken);
        }
        finally
        {
            for (var slot = 0; slot < _slots.Count; slot++)
            {
                if (_slots[slot] is { } connection)
                    Close(connection);
            }

            foreach (var (socket, _) in _listeners)
                _epoll.Remove(socket.Handle);
        }
    }

    public void Dispose()
    {
        _epoll.Dispose();
        Epoll.CloseDescriptor(_wakeup);
    }

    private void RunRound(CancellationToken cancellationToken)
    {
        // Connections that had more complete requests than one round takes go on now.
        (_carried, _backlog) = (_backlog, _carried);
        var n = _epoll.Wait(_events, _carried.Count > 0 ? 0 : WaitTimeout());
        if (cancellationToken.IsCancellationRequested)
            return;
        var now = Environment.TickCount64;
        for (var k = 0; k < n; k++)
        {
            var data = _events[k].Data;
            if ((data & ListenerTag) != 0)
            {
                Accept((int)(data & ~ListenerTag), now);
                continue;
            }

            if (data == WakeupTag || _slots[(int)data] is not { Closed: false } connection)
                continue;
            var events = _events[k].Events;
            if ((events & Epoll.Out) != 0)
                Flush(connection, now);
            else if ((events & (Epoll.In | Epoll.HangUp | Epoll.Error)) != 0 && !connection.Backlogged && !connection.Closing && connection.Unsent is null)
                Receive(connection, now);
        }

        foreach (var connection in _carried)
        {
            connection.Backlogged = false;
            if (!connection.Closed && !connection.Closing && connection.Unsent is null)
                Take(connection, now);
        }

        _carried.Clear();
        Decide(now);
        if (now >= _nextSweep)
        {
            Sweep(now);
            _nextSweep = now + _sweepMs;
        }

        foreach (var slot in _slotsFreedThisRound)
            _freeSlots.Push(slot);
        _slotsFreedThisRound.Clear();
    }

    private int WaitTimeout()
    {
        var now = Environment.TickCount64;
        var until = long.MaxValue;
        if (_server.ActiveConnections > 0)
            until = _nextSweep;
        foreach (var rest in _listenerRestsUntil)
        {
            if (rest > 0)
                until = Math.Min(until, rest);
        }

        return until == long.MaxValue ? -1 : (int)Math.Clamp(until - now, 0, int.MaxValue);
    }

    private void Accept(int index, long now)
    {
        var (listener, endpoint) = _listeners[index];
        for (var k = 0; k < MaxAcceptsPerRound; k++)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                return;
            }
            catch (SocketException e)
            {
                // EMFILE and friends: the listener stays readable, so rest it instead of spinning.
                _log.Warning("{Endpoint}: accept failed: {Reason}", endpoint.Text, e.Message);
                _epoll.Remove(listener.Handle);
                _listenerRestsUntil[index] = now + (long)AcceptBackoff.TotalMilliseconds;
                return;
            }

            if (!_server.TryOpenConnection())
            {
                _log.Warning("{Endpoint}: {Max} connections open; closing a new one", endpoint.Text, _options.MaxConnections);
                client.Dispose();
                continue;
            }

            var id = ++_connectionIds;
            try
            {
                client.Blocking = false;
                if (client.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                    client.NoDelay = true;
                var peer = client.RemoteEndPoint is IPEndPoint ip ? ip.ToString() : "unix:" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _slots.Count;
                if (slot == _slots.Count)
                    _slots.Add(null);
                var connection = new Connection(client, slot, peer, new PolicyRequestParser(_options)) { Deadline = now + _idleMs };
                _slots[slot] = connection;
                _epoll.Add(client.Handle, (ulong)slot);
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                _log.Error("connection {Id} failed: {Type}: {Reason}", id, e.GetType().Name, e.Message);
                client.Dispose();
                _server.ConnectionClosed();
            }
        }
    }

    private void Receive(Connection connection, long now)
    {
        var wasEmpty = connection.Parser.IsEmpty;
        Memory<byte> space;
        try
        {
            space = connection.Parser.FreeSpace();
        }
        catch (PolicyProtocolException e)
        {
            Drop(connection, e.Message);
            return;
        }

        var read = connection.Socket.Receive(space.Span, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock || ClosedOnError(connection, error, "read"))
            return;

        if (read == 0)
        {
            if (connection.Parser.IsEmpty)
                Close(connection);
            else
                Drop(connection, connection.Parser.ClosedInsideMessage);
            return;
        }

        connection.Parser.Advance(read);
        if (wasEmpty)
            connection.Deadline = now + _readMs;
        Take(connection, now);
    }

    /// <summary>Moves the connection's complete requests (at most <see cref="MaxRequestsPerRound"/>) into this round's batch.</summary>
    private void Take(Connection connection, long now)
    {
        for (var taken = 0; ; taken++)
        {
            if (taken == MaxRequestsPerRound)
            {
                connection.Backlogged = true;
                _backlog.Add(connection);
                return;
            }

            PolicyRequest? request;
            try
            {
                request = connection.Parser.TryTake();
            }
            catch (PolicyProtocolException e)
            {
                // Requests completed before the bad line still get their replies, as they
                // would on the asynchronous server, which answers one before reading the next.
                _server.CountDropped();
                _log.Warning("{Peer}: {Reason}; disconnecting without reply", connection.Peer, e.Message);
                connection.Closing = true;
                _closeAfterReplies.Add(connection);
                return;
            }

            if (request is null)
                return;
            _requests.Add(request);
            _requestConnections.Add(connection);
            // The next request's clock starts now: idle if nothing of it is here yet, else the read timeout.
            connection.Deadline = now + (connection.Parser.IsEmpty ? _idleMs : _readMs);
        }
    }

    private void Decide(long now)
    {
        var count = _requests.Count;
        if (count > 0)
        {
            if (_responses.Length < count)
                _responses = new PolicyResponse[Math.Max(count, _responses.Length * 2)];
            var responses = _responses.AsSpan(0, count);
            Exception? failure = null;
            try
            {
                _handler.DecideBatch(CollectionsMarshal.AsSpan(_requests), responses);
            }
#pragma warning disable CA1031 // a handler bug must close these connections, not the daemon
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }

            for (var i = 0; i < count; i++)
            {
                var connection = _requestConnections[i];
                if (connection.Closed)
                    continue;
                if (failure is not null || responses[i] is null)
                {
                    _server.CountDropped();
                    _log.Error("{Peer}: policy handler failed: {Type}: {Reason}; disconnecting without reply", connection.Peer,
                        failure?.GetType().Name ?? "NullReferenceException", failure?.Message ?? "no response");
                    Close(connection);
                    continue;
                }

                Send(connection, responses[i].WireBytes.Span, now);
            }

            responses.Clear();
            _requests.Clear();
            _requestConnections.Clear();
        }

        foreach (var connection in _closeAfterReplies)
        {
            if (connection.Unsent is null)
                Close(connection);
            // else: closed once the kernel has taken the last reply (Flush).
        }

        _closeAfterReplies.Clear();
    }

    private void Send(Connection connection, ReadOnlySpan<byte> reply, long now)
    {
        if (connection.Unsent is not null)
        {
            connection.Queue(reply);
            _server.CountServed();
            return;
        }

        var sent = connection.Socket.Send(reply, SocketFlags.None, out var error);
        if (ClosedOnError(connection, error, "write"))
            return;
        if (error == SocketError.WouldBlock)
            sent = 0;

        _server.CountServed();
        if (sent < reply.Length)
        {
            // The client is not reading: keep the rest, stop reading from it until it has taken
            // everything, and give it the read timeout to do so.
            connection.Queue(reply[sent..]);
            connection.Deadline = now + _readMs;
            _epoll.Modify(connection.Socket.Handle, (ulong)connection.Slot, Epoll.Out);
        }
    }

    private void Flush(Connection connection, long now)
    {
        var sent = connection.Socket.Send(connection.UnsentSpan, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock || ClosedOnError(connection, error, "write"))
            return;

        if (!connection.Consume(sent))
            return;
        if (connection.Closing)
        {
            Close(connection);
            return;
        }

        _epoll.Modify(connection.Socket.Handle, (ulong)connection.Slot, Epoll.In);
        connection.Deadline = now + (connection.Parser.IsEmpty ? _idleMs : _readMs);
        // Requests already buffered were left there while the replies waited.
        Take(connection, now);
    }

    private void Sweep(long now)
    {
        for (var i = 0; i < _listenerRestsUntil.Length; i++)
        {
            if (_listenerRestsUntil[i] > 0 && now >= _listenerRestsUntil[i])
            {
                _listenerRestsUntil[i] = 0;
                _epoll.Add(_listeners[i].Socket.Handle, ListenerTag | (uint)i);
            }
        }

        for (var slot = 0; slot < _slots.Count; slot++)
        {
            if (_slots[slot] is not { Closed: false } connection || now < connection.Deadline)
                continue;
            if (connection.Unsent is not null)
                Drop(connection, $"replies not read within {_readMs} ms");
            else if (connection.Parser.IsEmpty)
            {
                _log.Debug("{Peer}: no request within {Timeout} ms; disconnecting", connection.Peer, _idleMs);
                Close(connection);
            }
            else
            {
                Drop(connection, $"request not complete within {_readMs} ms");
            }
        }
    }

    /// <summary>For a socket call that failed (not one that would block): logs it, closes the connection, returns true.</summary>
    private bool ClosedOnError(Connection connection, SocketError error, string operation)
    {
        if (error is SocketError.Success or SocketError.WouldBlock)
            return false;
        _log.Debug("{Peer}: {Operation:l} failed: {Reason}", connection.Peer, operation, error);
        Close(connection);
        return true;
    }

    private void Drop(Connection connection, string reason)
    {
        _server.CountDropped();
        _log.Warning("{Peer}: {Reason}; disconnecting without reply", connection.Peer, reason);
        Close(connection);
    }

    private void Close(Connection connection)
    {
        if (connection.Closed)
            return;
        connection.Closed = true;
        _epoll.Remove(connection.Socket.Handle);
        connection.Socket.Dispose();
        _slots[connection.Slot] = null;
        // Reused only after this round: a later event of this round may still name the slot.
        _slotsFreedThisRound.Add(connection.Slot);
        _server.ConnectionClosed();
    }

    /// <summary>One client connection: its socket, parser, deadline and the replies the kernel has not taken yet.</summary>
    private sealed class Connection(Socket socket, int slot, string peer, PolicyRequestParser parser)
    {
        private int _unsentStart;
        private int _unsentEnd;

        public Socket Socket { get; } = socket;

        public int Slot { get; } = slot;

        public string Peer { get; } = peer;

        public PolicyRequestParser Parser { get; } = parser;

        /// <summary>When the current timeout (idle, read, or replies not taken) runs out, in <see cref="Environment.TickCount64"/> milliseconds.</summary>
        public long Deadline { get; set; }

        /// <summary>Has complete requests left over for the next round.</summary>
        public bool Backlogged { get; set; }

        /// <summary>Broke a limit: gets this round's replies, then is closed.</summary>
        public bool Closing { get; set; }

        public bool Closed { get; set; }

        /// <summary>Reply bytes waiting for the client to read; null when none are.</summary>
        public byte[]? Unsent { get; private set; }

        public ReadOnlySpan<byte> UnsentSpan => Unsent.AsSpan(_unsentStart, _unsentEnd - _unsentStart);

        public void Queue(ReadOnlySpan<byte> bytes)
        {
            if (Unsent is null)
            {
                Unsent = new byte[Math.Max(4096, bytes.Length)];
                _unsentStart = _unsentEnd = 0;
            }
            else if (_unsentEnd + bytes.Length > Unsent.Length)
            {
                var waiting = _unsentEnd - _unsentStart;
                var grown = new byte[Math.Max(Unsent.Length * 2, waiting + bytes.Length)];
                Unsent.AsSpan(_unsentStart, waiting).CopyTo(grown);
                Unsent = grown;
                _unsentStart = 0;
                _unsentEnd = waiting;
            }

            bytes.CopyTo(Unsent.AsSpan(_unsentEnd));
            _unsentEnd += bytes.Length;
        }

        /// <summary>Counts <paramref name="count"/> bytes as sent; true when nothing is left.</summary>
        public bool Consume(int count)
        {
            _unsentStart += count;
            if (_unsentStart < _unsentEnd)
                return false;
            Unsent = null;
            return true;
        }
    }
}
