using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Benchmarks;

/// <summary>
/// One blocking Postfix policy connection, as an smtpd holds it: write a request, read until the
/// reply's blank line, and again. Over TCP, or over a spawned program's stdin/stdout.
/// </summary>
public sealed class PolicyConnection(Stream input, Stream output, IDisposable? owner) : IDisposable
{
    private readonly byte[] _buffer = new byte[8192];
    private int _filled;
    private int _disposed;

    /// <summary>
    /// Connects to <paramref name="endPoint"/> (TCP with Nagle off: a policy client writes one
    /// request and waits; or a unix socket). The connect is synchronous on purpose: after any
    /// asynchronous operation .NET keeps a socket non-blocking and emulates each later blocking
    /// read with a failed recv, a registration with its epoll thread and a wake-up, which cost
    /// the load generator more CPU per request than the daemon it measures spends (52-59 against
    /// 22 us per request, docs/greyd.md). A blocking socket reads as Postfix's smtpd does: one
    /// send, one recv.
    /// </summary>
    /// <param name="endPoint">Where the policy server listens.</param>
    /// <param name="readTimeout">Longest wait for one read before it fails with an <see cref="IOException"/>; null waits for ever.</param>
    public static PolicyConnection Open(EndPoint endPoint, TimeSpan? readTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var unix = endPoint is UnixDomainSocketEndPoint;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            if (!unix)
                socket.NoDelay = true;
            if (readTimeout is { } timeout)
                socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            socket.Connect(endPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        return new PolicyConnection(stream, stream, null);
    }

    /// <summary>
    /// The file descriptor replies arrive on (a socket or a spawned program's stdout), for
    /// <see cref="LockStepLoad"/>'s epoll loop; -1 when the stream has none.
    /// </summary>
    public nint ReadHandle => input switch
    {
        NetworkStream network => network.Socket.Handle,
        PipeStream pipe => pipe.SafePipeHandle.DangerousGetHandle(),
        _ => -1,
    };

    /// <summary>Sends one request and returns the reply's action text (without <c>action=</c>).</summary>
    public string Ask(string request)
    {
        Send(request);
        while (true)
        {
            if (TakeReply() is { } reply)
                return reply;
            Fill();
        }
    }

    /// <summary>Sends one request; its reply is read by <see cref="Ask"/> or <see cref="ReadSome"/>.</summary>
    public void Send(string request)
    {
        ArgumentNullException.ThrowIfNull(request);
        output.Write(Encoding.UTF8.GetBytes(request));
        output.Flush();
    }

    /// <summary>
    /// Reads once (without blocking when the descriptor is known to be readable) and returns the
    /// reply's action text when it is now complete, null when more is to come.
    /// </summary>
    public string? ReadSome()
    {
        Fill();
        return TakeReply();
    }

    /// <summary>
    /// Says no more requests will come (shuts down the sending side of a socket; closes a
    /// spawned program's stdin) and reads until the server closes its end: what it still wrote,
    /// as text. Returns once the server has closed the connection (for a spawned program: exited).
    /// </summary>
    public string FinishAndReadToEnd()
    {
        if (output is NetworkStream network)
            network.Socket.Shutdown(SocketShutdown.Send);
        else
            output.Dispose();
        while (true)
        {
            if (_filled == _buffer.Length)
                throw new InvalidOperationException("the policy server wrote more than 8 KiB at the end");
            var n = input.Read(_buffer.AsSpan(_filled));
            if (n == 0)
                break;
            _filled += n;
        }

        var rest = Encoding.UTF8.GetString(_buffer, 0, _filled);
        _filled = 0;
        return rest;
    }

    private string? TakeReply()
    {
        var end = _buffer.AsSpan(0, _filled).IndexOf("\n\n"u8);
        if (end < 0)
            return null;
        var reply = Encoding.UTF8.GetString(_buffer, 0, end);
        Buffer.BlockCopy(_buffer, end + 2, _buffer, 0, _filled - end - 2);
        _filled -= end + 2;
        return reply.StartsWith("action=", StringComparison.Ordinal) ? reply[7..] : reply;
    }

    private void Fill()
    {
        if (_filled == _buffer.Length)
            throw new InvalidOperationException("reply longer than 8 KiB");
        var n = input.Read(_buffer.AsSpan(_filled));
        if (n == 0)
            throw new InvalidOperationException("the policy server closed the connection");
        _filled += n;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            output.Dispose();
        }
        catch (IOException)
        {
            // A spawned program that already exited.
        }

        // For TCP input and output are one stream; a spawned program's stdout closes with it.
        owner?.Dispose();
    }
}
