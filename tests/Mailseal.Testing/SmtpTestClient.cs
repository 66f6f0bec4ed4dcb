using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Testing;

/// <summary>A raw SMTP client for protocol tests: sends exact bytes, reads whole (multi-line) replies.</summary>
public sealed class SmtpTestClient : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private NetworkStream? _stream;
    private readonly byte[] _buffer = new byte[8192];
    private readonly StringBuilder _pending = new();

    public static async Task<SmtpTestClient> ConnectAsync(EndPoint endpoint)
    {
        var c = new SmtpTestClient();
        var ip = (IPEndPoint)endpoint;
        await c._client.ConnectAsync(ip.Address, ip.Port);
        c._stream = c._client.GetStream();
        return c;
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream!.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Reads one complete reply (all its lines), or null if the server closed the connection.</summary>
    public async Task<string?> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        var lines = new List<string>();
        while (true)
        {
            string? line = await ReadLineAsync(cts.Token);
            if (line is null)
                return lines.Count == 0 ? null : string.Join("\n", lines);
            lines.Add(line);
            if (line.Length < 4 || line[3] == ' ')
                return string.Join("\n", lines);
        }
    }

    public async Task<string?> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    /// <summary>True if no reply arrives within <paramref name="wait"/>.</summary>
    public async Task<bool> IsSilentAsync(TimeSpan wait)
    {
        try
        {
            using var cts = new CancellationTokenSource(wait);
            return await ReadLineAsync(cts.Token) is null && false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            string s = _pending.ToString();
            int nl = s.IndexOf("\r\n", StringComparison.Ordinal);
            if (nl >= 0)
            {
                _pending.Remove(0, nl + 2);
                return s[..nl];
            }

            int n;
            try
            {
                n = await _stream!.ReadAsync(_buffer, ct);
            }
            catch (IOException)
            {
                return null;
            }

            if (n == 0)
                return null;
            _pending.Append(Encoding.UTF8.GetString(_buffer, 0, n));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null)
            await _stream.DisposeAsync();
        _client.Dispose();
    }
}
