using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.EndToEnd.Tests.Pipe;

/// <summary>
/// A minimal SMTP server on 127.0.0.1 standing in for "the outside world": Postfix's relayhost
/// points here, and every message it accepts is kept (envelope and data) for the test to read.
/// It announces XFORWARD, so a Postfix smtp client with smtp_send_xforward_command=yes shows
/// which client attributes its queue file carried (the sink records them per message).
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private const int MaxLine = 4096;
    private const long MaxMessage = 16 * 1024 * 1024;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private SmtpSink(TcpListener listener)
    {
        _listener = listener;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The port the sink listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every message accepted so far.</summary>
    public ConcurrentQueue<SinkMessage> Messages { get; } = new();

    /// <summary>Starts a sink on a free loopback port.</summary>
    public static SmtpSink Start()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return new SmtpSink(l);
    }

    /// <summary>Waits (default 30 s) until at least <paramref name="count"/> messages arrived.</summary>
    public async Task<IReadOnlyList<SinkMessage>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (Messages.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"the SMTP sink holds {Messages.Count} message(s), expected {count}");
            }

            await Task.Delay(100);
        }

        return [.. Messages];
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var c = client;
        try
        {
            var s = c.GetStream();
            var reader = new StreamReader(s, Encoding.Latin1);
            var writer = new StreamWriter(s, Encoding.Latin1) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 sink.example.org ESMTP test sink");
            string? from = null;
            var to = new List<string>();
            var forward = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (await ReadLineAsync(reader) is { } line)
            {
                var verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteAsync("250-sink.example.org\r\n250-XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE\r\n250 8BITMIME\r\n");
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 sink.example.org");
                        break;
                    case "MAIL":
                        from = Address(line);
                        to.Clear();
                        await writer.WriteLineAsync("250 2.1.0 Ok");
                        break;
                    case "RCPT":
                        to.Add(Address(line));
                        await writer.WriteLineAsync("250 2.1.5 Ok");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await ReadLineAsync(reader) is { } d && d != ".")
                        {
                            data.Append(d.StartsWith('.') ? d[1..] : d).Append("\r\n");
                            if (data.Length > MaxMessage)
                            {
                                throw new IOException("message too large for the sink");
                            }
                        }

                        Messages.Enqueue(new SinkMessage(from ?? string.Empty, [.. to], data.ToString(), new Dictionary<string, string>(forward, StringComparer.OrdinalIgnoreCase)));
                        forward.Clear();
                        await writer.WriteLineAsync("250 2.0.0 Ok: kept by the sink");
                        break;
                    case "XFOR":
                        foreach (var pair in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
                        {
                            var eq = pair.IndexOf('=', StringComparison.Ordinal);
                            if (eq > 0)
                            {
                                forward[pair[..eq]] = pair[(eq + 1)..];
                            }
                        }

                        await writer.WriteLineAsync("250 2.0.0 Ok");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 2.0.0 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("250 2.0.0 Ok");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // the client went away
        }
    }

    private static async Task<string?> ReadLineAsync(StreamReader reader)
    {
        var line = await reader.ReadLineAsync();
        return line is { Length: > MaxLine } ? throw new IOException("line too long") : line;
    }

    private static string Address(string line)
    {
        var lt = line.IndexOf('<', StringComparison.Ordinal);
        var gt = line.IndexOf('>', StringComparison.Ordinal);
        return lt >= 0 && gt > lt ? line[(lt + 1)..gt] : string.Empty;
    }
}
