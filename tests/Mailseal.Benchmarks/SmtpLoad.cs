using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Benchmarks;

/// <summary>
/// The load generator of the filterd benchmarks: <c>concurrency</c> SMTP connections to one
/// loopback server, each sending transactions one after the other, pipelined as Postfix's smtp
/// client sends them (MAIL, RCPT and DATA in one write, the message after the 354), until
/// <c>count</c> messages were accepted in all. Every reply is checked; a refusal or a closed
/// connection fails the run. Messages are given in SMTP form (dot-stuffed, CRLF, without the
/// final dot).
/// </summary>
internal static class SmtpLoad
{
    /// <summary>Sends messages 0..<paramref name="count"/>-1, <paramref name="message"/>(i) giving each one's recipient and bytes.</summary>
    public static async Task SendAsync(int port, int count, int concurrency, Func<int, (string Recipient, byte[] Data)> message, CancellationToken ct)
    {
        int next = -1;
        var workers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(async _ =>
        {
            using var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(IPAddress.Loopback, port, ct);
            var stream = client.GetStream();
            var reader = new ReplyReader(stream);
            await reader.ExpectAsync("220", ct);
            await stream.WriteAsync("EHLO bench.localhost\r\n"u8.ToArray(), ct);
            await reader.ExpectAsync("250", ct);
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var (recipient, data) = message(i);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"MAIL FROM:<sender@example.org>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n"), ct);
                await reader.ExpectAsync("250", ct);
                await reader.ExpectAsync("250", ct);
                await reader.ExpectAsync("354", ct);
                await stream.WriteAsync(data, ct);
                await stream.WriteAsync(".\r\n"u8.ToArray(), ct);
                await reader.ExpectAsync("250", ct);
            }

            await stream.WriteAsync("QUIT\r\n"u8.ToArray(), ct);
        }).ToList();
        await Task.WhenAll(workers);
    }

    /// <summary>Reads SMTP replies (the last line of each) from a stream.</summary>
    private sealed class ReplyReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _start;
        private int _end;

        public async Task ExpectAsync(string code, CancellationToken ct)
        {
            while (true)
            {
                string line = await LineAsync(ct);
                if (line.Length >= 4 && line[3] == '-')
                    continue;
                if (!line.StartsWith(code, StringComparison.Ordinal))
                    throw new InvalidOperationException($"expected {code}, got '{line}'");
                return;
            }
        }

        private async Task<string> LineAsync(CancellationToken ct)
        {
            while (true)
            {
                int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (nl >= 0)
                {
                    string s = Encoding.ASCII.GetString(_buffer, _start, nl - _start).TrimEnd('\r');
                    _start = nl + 1;
                    return s;
                }

                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                if (_end == _buffer.Length)
                    throw new InvalidOperationException("an SMTP reply line longer than 4096 bytes");
                int n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
                if (n == 0)
                    throw new IOException("the server closed the connection");
                _end += n;
            }
        }
    }
}
