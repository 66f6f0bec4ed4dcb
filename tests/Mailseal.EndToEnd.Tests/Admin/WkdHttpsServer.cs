using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>
/// A small HTTPS server for the WKD test: serves files under a web root chosen by the Host
/// header (one root per host name, as a web server's virtual hosts would), one request per
/// connection, GET only, and records every request and the bytes it served so the test can
/// say which method (advanced or direct) GnuPG used and what it was given. Paths with
/// <c>..</c>, a backslash or a percent sign are refused: the test's files are the only ones it
/// can serve.
/// </summary>
internal sealed class WkdHttpsServer : IAsyncDisposable
{
    private const int MaxHeadBytes = 16 * 1024;

    private readonly TcpListener _listener;
    private readonly X509Certificate2 _certificate;
    private readonly IReadOnlyDictionary<string, string> _roots;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<WkdRequest> _requests = new();
    private readonly Task _accepting;

    private WkdHttpsServer(TcpListener listener, X509Certificate2 certificate, IReadOnlyDictionary<string, string> roots)
    {
        _listener = listener;
        _certificate = certificate;
        _roots = roots;
        _accepting = AcceptAsync();
    }

    /// <summary>Every request answered so far, in order.</summary>
    public IReadOnlyList<WkdRequest> Requests => [.. _requests];

    /// <summary>Listens on <paramref name="endpoint"/> with <paramref name="certificate"/>; <paramref name="roots"/> maps a host name to its web root.</summary>
    public static WkdHttpsServer Start(IPEndPoint endpoint, X509Certificate2 certificate, IReadOnlyDictionary<string, string> roots)
    {
        var listener = new TcpListener(endpoint);
        listener.Start();
        return new WkdHttpsServer(listener, certificate, roots);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
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
                    break;
                }

                connections.Add(ServeAsync(client));
            }
        }
        finally
        {
            await Task.WhenAll(connections);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var connection = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, timeout.Token);
            var head = await ReadHeadAsync(tls, timeout.Token);
            var lines = head.Split("\r\n");
            var requestLine = lines[0].Split(' ');
            var host = lines.Skip(1)
                .Where(l => l.StartsWith("host:", StringComparison.OrdinalIgnoreCase))
                .Select(l => l[5..].Trim().Split(':')[0].ToLowerInvariant())
                .FirstOrDefault() ?? string.Empty;
            var target = requestLine.Length == 3 ? requestLine[1] : string.Empty;
            var (status, body) = requestLine.Length == 3 && requestLine[0] == "GET" ? Find(host, target.Split('?')[0]) : (400, []);
            _requests.Enqueue(new WkdRequest(host, target, status, body));
            var reason = status switch { 200 => "OK", 400 => "Bad Request", _ => "Not Found" };
            var header = string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\nContent-Type: application/octet-stream\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await tls.WriteAsync(Encoding.ASCII.GetBytes(header), timeout.Token);
            await tls.WriteAsync(body, timeout.Token);
            await tls.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or SocketException)
        {
            _requests.Enqueue(new WkdRequest("-", "connection failed: " + e.Message, 0, []));
        }
    }

    private (int Status, byte[] Body) Find(string host, string path)
    {
        if (!_roots.TryGetValue(host, out var root))
            return (404, []);
        if (!path.StartsWith('/') || path.Contains("..", StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal) || path.Contains('%', StringComparison.Ordinal))
            return (400, []);
        var file = Path.Join(root, path);
        return File.Exists(file) ? (200, File.ReadAllBytes(file)) : (404, []);
    }

    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(length), ct);
            if (n == 0)
                break;
            length += n;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
                return text[..end];
        }

        throw new IOException("no complete request head");
    }
}
