using System.Net;
using System.Net.Sockets;

namespace Mailseal.Pipeline.Smtp;

/// <summary>SMTP to a loopback smtpd.</summary>
internal sealed class SocketChannel : IReinjectionChannel
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private SocketChannel(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public Stream Reader => _stream;

    public Stream Writer => _stream;

    public string Diagnostics => string.Empty;

    public Task<string> CollectDiagnosticsAsync() => Task.FromResult(string.Empty);

    public static async Task<SocketChannel> ConnectAsync(string endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        EndPoint ep = ParseEndpoint(endpoint);
        var socket = ep is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(ep, cts.Token).ConfigureAwait(false);
            return new SocketChannel(socket);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new ReinjectionException($"connect to {endpoint} timed out");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ReinjectionException($"connect to {endpoint}: {e.Message}", e);
        }
        catch
        {
            // cancelled by the caller (another copy failed): the half-open socket must not linger
            socket.Dispose();
            throw;
        }
    }

    internal static EndPoint ParseEndpoint(string endpoint) => ServiceEndpoint.Parse(endpoint).EndPoint;

    public void Abort()
    {
        // RST rather than FIN: smtpd sees a lost connection in DATA and discards the message.
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync().ConfigureAwait(false);
}
