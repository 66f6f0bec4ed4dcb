using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Benchmarks;

/// <summary>An SMTP sink on loopback: accepts everything, counts messages at their final dot, keeps nothing.</summary>
internal sealed class SmtpCountingSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _count;

    public SmtpCountingSink()
    {
        _listener.Start(512);
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public long Count => Interlocked.Read(ref _count);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient c;
            try
            {
                c = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(c));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var s = client.GetStream();
                await s.WriteAsync("220 sink ESMTP\r\n"u8.ToArray());
                byte[] buf = new byte[64 * 1024];
                var pending = new List<byte>();
                bool inData = false;
                ulong tail = 0; // the last bytes seen in DATA
                while (true)
                {
                    int n = await s.ReadAsync(buf, _stop.Token);
                    if (n == 0)
                        return;
                    int i = 0;
                    while (i < n)
                    {
                        if (inData)
                        {
                            for (; i < n; i++)
                            {
                                tail = (tail << 8) | buf[i];
                                if ((tail & 0xFFFFFFFFFF) == 0x0D0A2E0D0A) // CRLF "." CRLF
                                {
                                    i++;
                                    inData = false;
                                    Interlocked.Increment(ref _count);
                                    await s.WriteAsync("250 2.0.0 Ok: queued as SINK\r\n"u8.ToArray());
                                    break;
                                }
                            }

                            continue;
                        }

                        int nl = Array.IndexOf(buf, (byte)'\n', i, n - i);
                        if (nl < 0)
                        {
                            pending.AddRange(buf.AsSpan(i, n - i).ToArray());
                            break;
                        }

                        pending.AddRange(buf.AsSpan(i, nl - i).ToArray());
                        string line = Encoding.ASCII.GetString(pending.ToArray()).TrimEnd('\r');
                        pending.Clear();
                        i = nl + 1;
                        string verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                        if (verb == "EHLO")
                        {
                            await s.WriteAsync("250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"u8.ToArray());
                        }
                        else if (verb == "DATA")
                        {
                            await s.WriteAsync("354 go\r\n"u8.ToArray());
                            inData = true;
                            tail = 0x0D0A; // DATA starts at a line start
                        }
                        else if (verb == "QUIT")
                        {
                            await s.WriteAsync("221 bye\r\n"u8.ToArray());
                            return;
                        }
                        else
                        {
                            await s.WriteAsync("250 ok\r\n"u8.ToArray());
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // a client went away
            }
        }
    }
}
