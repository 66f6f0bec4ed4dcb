using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Policy.Tests;

/// <summary>
/// The one-thread epoll server that <see cref="PolicyServer"/> runs for an
/// <see cref="IBatchPolicyHandler"/>: the same answers, limits and counters as the asynchronous
/// server, and what only it does (batches, a cap per connection and round, clients that do not
/// read their replies).
/// </summary>
public sealed class PolicyEventLoopTests : IAsyncDisposable
{
    private const string Request = "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@example.com\nrecipient=b@example.org\n\n";
    private const string Reply = "action=PREPEND X-Test: state=RCPT sender=a@example.com rcpt=b@example.org\n\n";

    private readonly TestLog _log = new();
    private readonly CancellationTokenSource _stop = new();
    private PolicyServer? _server;
    private Task? _run;
    private bool _disposed;

    private static string RequestFrom(string sender) => $"request=smtpd_access_policy\nprotocol_state=RCPT\nsender={sender}\nrecipient=b@example.org\n\n";

    private static string ReplyFor(string sender) => $"action=PREPEND X-Test: state=RCPT sender={sender} rcpt=b@example.org\n\n";

    private EndPoint Start(IPolicyHandler handler, PolicyServerOptions? options = null, string endpoint = "inet:127.0.0.1:0")
    {
        _server = new PolicyServer(handler, options ?? new PolicyServerOptions(), _log.Logger);
        var endPoint = _server.Listen([PolicyEndpoint.Parse(endpoint)])[0];
        _run = _server.RunAsync(_stop.Token);
        return endPoint;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await _stop.CancelAsync();
        if (_run is not null)
            await _run.WaitAsync(TimeSpan.FromSeconds(10));
        if (_server is not null)
            await _server.DisposeAsync();
        _stop.Dispose();
    }

    private static async Task WaitForAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        Assert.True(condition(), what());
    }

    private static async Task<Socket> ConnectAsync(EndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    /// <summary>Reads until the peer closes (or 10 s pass); a reset counts as the end.</summary>
    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n == 0)
                    return text.ToString();
                text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return text.ToString();
        }
    }

    [Fact]
    public async Task Many_connections_are_served_from_one_thread_in_batches()
    {
        var handler = new BatchEchoHandler();
        var endPoint = Start(handler);

        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => PolicyClient.ExchangeAsync(endPoint, Request + Request, 2 * Reply.Length)));

        Assert.All(replies, r => Assert.Equal(Reply + Reply, r));
        Assert.Equal(400, _server!.RequestsServed);
        Assert.Equal(0, handler.AsyncCalls);
        Assert.Equal(1, handler.Threads);
        // Two requests in one write arrive in one read, so at least that batch holds both.
        Assert.True(handler.BatchSizes.Max() >= 2, string.Join(",", handler.BatchSizes));
        Assert.Equal(400, handler.BatchSizes.Sum());
        // An empty accept queue ends the accepts quietly (EAGAIN), never as a failure to back off from.
        Assert.DoesNotContain(_log.Lines, l => l.Contains("accept failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_unix_socket_is_served_by_the_loop_too()
    {
        var dir = Directory.CreateTempSubdirectory("policy-loop-");
        try
        {
            var handler = new BatchEchoHandler();
            var endPoint = Start(handler, endpoint: "unix:" + Path.Combine(dir.FullName, "p.sock"));
            Assert.Equal(Reply, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
            Assert.Equal(0, handler.AsyncCalls);
        }
        finally
        {
            await DisposeAsync();
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_burst_on_one_connection_is_answered_in_order_and_at_most_32_per_round()
    {
        var handler = new BatchEchoHandler();
        var endPoint = Start(handler);
        var senders = Enumerable.Range(0, 100).Select(i => $"s{i}@example.com").ToList();

        var reply = await PolicyClient.ExchangeAsync(endPoint, string.Concat(senders.Select(RequestFrom)), senders.Sum(s => ReplyFor(s).Length));

        Assert.Equal(string.Concat(senders.Select(ReplyFor)), reply);
        Assert.All(handler.BatchSizes, size => Assert.InRange(size, 1, PolicyEventLoop.MaxRequestsPerRound));
        Assert.Equal(100, handler.BatchSizes.Sum());
    }

    [Fact]
    public async Task A_request_split_across_many_writes_is_put_together()
    {
        var endPoint = Start(new BatchEchoHandler());
        using var socket = await ConnectAsync(endPoint);
        foreach (var chunk in Request.Chunk(7))
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(chunk), SocketFlags.None);
            await Task.Delay(2);
        }

        socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(Reply, await ReadToEndAsync(socket));
    }

    [Fact]
    public async Task A_bad_line_after_a_good_request_gets_the_good_reply_then_the_close()
    {
        var endPoint = Start(new BatchEchoHandler());
        using var socket = await ConnectAsync(endPoint);
        await socket.SendAsync(Encoding.ASCII.GetBytes(Request + "request=smtpd_access_policy\nthis is not an attribute\n\n" + Request), SocketFlags.None);

        Assert.Equal(Reply, await ReadToEndAsync(socket));
        Assert.Equal(1, _server!.ConnectionsDropped);
        Assert.Contains(_log.Lines, l => l.Contains("line without '='", StringComparison.Ordinal) && l.Contains("disconnecting without reply", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("a line longer than the limit", "sender=", 5000)]
    [InlineData("more attributes than the limit", "a=b\n", 150)]
    public async Task Oversized_input_is_dropped_without_reply(string what, string piece, int count)
    {
        var endPoint = Start(new BatchEchoHandler(), new PolicyServerOptions { MaxAttributes = 100 });
        using var socket = await ConnectAsync(endPoint);
        await socket.SendAsync(Encoding.ASCII.GetBytes("request=smtpd_access_policy\n" + string.Concat(Enumerable.Repeat(piece, count)) + "\n\n"), SocketFlags.None);

        Assert.Equal(string.Empty, await ReadToEndAsync(socket));
        Assert.True(_server!.ConnectionsDropped == 1, what);
    }

    [Fact]
    public async Task An_incomplete_request_is_dropped_after_the_read_timeout_and_a_silent_client_after_the_idle_timeout()
    {
        // The idle timeout is long enough that a loaded test machine cannot let it pass between
        // the connect and the first bytes of the partial request.
        var endPoint = Start(new BatchEchoHandler(), new PolicyServerOptions { ReadTimeout = TimeSpan.FromMilliseconds(300), IdleTimeout = TimeSpan.FromSeconds(2) });
        using var partial = await ConnectAsync(endPoint);
        using var silent = await ConnectAsync(endPoint);
        await partial.SendAsync(Encoding.ASCII.GetBytes("request=smtpd_access_policy\nsender=a@example.com\n"), SocketFlags.None);

        Assert.Equal(string.Empty, await ReadToEndAsync(partial));
        Assert.Equal(string.Empty, await ReadToEndAsync(silent));
        Assert.Contains(_log.Lines, l => l.Contains("request not complete within 300 ms", StringComparison.Ordinal));
        Assert.Contains(_log.Lines, l => l.Contains("no request within 2000 ms", StringComparison.Ordinal));
        // Only the one that broke a limit counts as dropped; an idle close is normal.
        Assert.Equal(1, _server!.ConnectionsDropped);
        await WaitForAsync(() => _server.ActiveConnections == 0, () => "connections still open");
    }

    [Fact]
    public async Task A_client_that_does_not_read_its_replies_is_not_read_either_and_is_dropped()
    {
        var endPoint = Start(new BatchEchoHandler(), new PolicyServerOptions { ReadTimeout = TimeSpan.FromMilliseconds(500) });
        using var socket = await ConnectAsync(endPoint);
        // Replies as long as the requests, so the server's send buffer fills while the client
        // still has its own to fill (a tiny receive buffer instead stalls TCP on the client side).
        var burst = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(RequestFrom(new string('s', 1500) + "@example.com"), 64)));
        var sent = 0L;
        // Writes until the server stops reading (the send blocks) or drops the connection.
        var writer = Task.Run(() =>
        {
            try
            {
                while (sent < 200L << 20)
                    sent += socket.Send(burst);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        });

        await WaitForAsync(() => _log.Lines.Any(l => l.Contains("replies not read within 500 ms", StringComparison.Ordinal)), () => $"the connection was never dropped; {sent} bytes sent; run {_run!.Status} {_run.Exception?.InnerException}; log: {string.Join(" | ", _log.Lines.TakeLast(5))}");
        socket.Dispose();
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        // The server stopped reading long before the client could send 200 MiB.
        Assert.True(sent < 100L << 20, $"{sent} bytes taken from a client that reads nothing");
        Assert.Equal(1, _server!.ConnectionsDropped);
    }

    [Fact]
    public async Task Connections_beyond_the_cap_are_closed_at_once()
    {
        var endPoint = Start(new BatchEchoHandler(), new PolicyServerOptions { MaxConnections = 3 });
        var held = new List<Socket>();
        for (var i = 0; i < 3; i++)
            held.Add(await ConnectAsync(endPoint));
        await WaitForAsync(() => _server!.ActiveConnections == 3, () => "three connections not counted");

        Assert.Equal(string.Empty, await PolicyClient.ExchangeOrResetAsync(endPoint, Request, Reply.Length));
        Assert.Equal(1, _server!.ConnectionsRefused);
        Assert.Contains(_log.Lines, l => l.Contains("3 connections open; closing a new one", StringComparison.Ordinal));

        held[0].Dispose();
        await WaitForAsync(() => _server.ActiveConnections == 2, () => "a closed connection still counted");
        Assert.Equal(Reply, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
        foreach (var socket in held)
            socket.Dispose();
    }

    [Fact]
    public async Task A_handler_failure_closes_its_batch_without_reply_and_the_loop_lives_on()
    {
        var handler = new BatchEchoHandler { Fail = true };
        var endPoint = Start(handler);

        Assert.Equal(string.Empty, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
        Assert.Contains(_log.Lines, l => l.Contains("policy handler failed", StringComparison.Ordinal) && l.Contains("boom", StringComparison.Ordinal));
        handler.Fail = false;
        Assert.Equal(Reply, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
        Assert.Equal(1, _server!.ConnectionsDropped);
    }

    [Fact]
    public async Task A_response_the_handler_left_unset_closes_that_connection_only()
    {
        var endPoint = Start(new BatchEchoHandler { ForgetNullSender = true });

        var replies = await Task.WhenAll(
            PolicyClient.ExchangeAsync(endPoint, RequestFrom("null@example.com"), 1),
            PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));

        Assert.Equal([string.Empty, Reply], replies);
    }

    [Fact]
    public async Task Stopping_closes_every_connection_at_once()
    {
        var endPoint = Start(new BatchEchoHandler());
        using var socket = await ConnectAsync(endPoint);
        await WaitForAsync(() => _server!.ActiveConnections == 1, () => "connection not counted");

        await _stop.CancelAsync();
        await _run!.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(string.Empty, await ReadToEndAsync(socket));
        Assert.Equal(0, _server!.ActiveConnections);
    }

    [Fact]
    public async Task Clients_that_misbehave_every_way_at_once_leave_the_loop_serving_and_nothing_open()
    {
        // A long idle timeout (the idle close has its own test): a client on a loaded machine
        // may take seconds between its connect and its first write. The trickling clients
        // still run past the short read timeout.
        var endPoint = Start(new BatchEchoHandler(), new PolicyServerOptions { ReadTimeout = TimeSpan.FromMilliseconds(400), IdleTimeout = TimeSpan.FromSeconds(30) });
        var random = new Random(5);
        var good = 0;

        async Task ClientAsync(int kind, int seed)
        {
            var local = new Random(seed);
            using var socket = await ConnectAsync(endPoint);
            try
            {
                switch (kind)
                {
                    case 0: // good, several requests in one write, replies checked
                        var senders = Enumerable.Range(0, 1 + local.Next(40)).Select(i => $"g{seed}.{i}@example.com").ToList();
                        await socket.SendAsync(Encoding.ASCII.GetBytes(string.Concat(senders.Select(RequestFrom))), SocketFlags.None);
                        socket.Shutdown(SocketShutdown.Send);
                        Assert.Equal(string.Concat(senders.Select(ReplyFor)), await ReadToEndAsync(socket));
                        Interlocked.Increment(ref good);
                        break;
                    case 1: // half a request, then gone
                        await socket.SendAsync(Encoding.ASCII.GetBytes(Request[..local.Next(1, Request.Length - 1)]), SocketFlags.None);
                        break;
                    case 2: // a request, then a reset before the reply can be read
                        socket.LingerState = new LingerOption(true, 0);
                        await socket.SendAsync(Encoding.ASCII.GetBytes(Request + Request), SocketFlags.None);
                        break;
                    case 3: // garbage
                        var junk = new byte[local.Next(1, 3000)];
                        local.NextBytes(junk);
                        await socket.SendAsync(junk, SocketFlags.None);
                        await ReadToEndAsync(socket);
                        break;
                    case 4: // trickles past the read timeout
                        foreach (var b in Encoding.ASCII.GetBytes(Request[..20]))
                        {
                            await socket.SendAsync(new[] { b }, SocketFlags.None);
                            await Task.Delay(30);
                        }

                        await ReadToEndAsync(socket);
                        break;
                    default: // connects, says nothing, and goes
                        await Task.Delay(local.Next(500));
                        break;
                }
            }
            catch (SocketException)
            {
                // The server closing on a misbehaving client may reset it; that is the point.
            }
        }

        // Fewer than the listen backlog (512): past it the kernel drops handshakes, and a client
        // that believes itself connected retransmits its request for seconds (TCP, not the loop).
        var clients = Enumerable.Range(0, 400).Select(i => ClientAsync(random.Next(6), i)).ToList();
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(good > 50, $"{good} good clients");
        Assert.False(_run!.IsCompleted, _run.Exception?.ToString());
        Assert.Equal(Reply, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
        await WaitForAsync(() => _server!.ActiveConnections == 0, () => $"{_server!.ActiveConnections} connections still open");
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Without_batches_or_with_the_loop_off_the_asynchronous_server_answers(bool decidesInBatches, bool useEventLoop)
    {
        var handler = new BatchEchoHandler { DecidesInBatches = decidesInBatches };
        var endPoint = Start(handler, new PolicyServerOptions { UseEventLoop = useEventLoop });

        Assert.Equal(Reply, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
        Assert.Equal(1, handler.AsyncCalls);
        Assert.Empty(handler.BatchSizes);
    }
}
