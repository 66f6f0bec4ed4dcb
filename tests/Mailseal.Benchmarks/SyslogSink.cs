using System.Net.Sockets;

namespace Mailseal.Benchmarks;

/// <summary>
/// A listening datagram socket that stands in for /dev/log, as a mail server has one: a tool
/// under test sends its syslog line here (one send, as on a real server, rather than failing to
/// connect), and the sink counts the lines.
/// </summary>
public sealed class SyslogSink : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<long> _drain;

    /// <summary>Binds a unix datagram socket at <paramref name="path"/> and starts reading it.</summary>
    public SyslogSink(string path)
    {
        Path = path;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _drain = DrainAsync(_socket, _stop.Token);
    }

    /// <summary>The socket's path (the tools' <c>--syslog-socket</c>).</summary>
    public string Path { get; }

    /// <summary>Stops reading and returns how many lines arrived.</summary>
    public async Task<long> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        return await _drain.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _socket.Dispose();
        _stop.Dispose();
    }

    private static async Task<long> DrainAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[4096];
        long lines = 0;
        try
        {
            while (true)
            {
                await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
                lines++;
            }
        }
        catch (OperationCanceledException)
        {
            return lines;
        }
    }
}
