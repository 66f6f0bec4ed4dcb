using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Pipeline.Tests.Spam;

/// <summary>
/// A stand-in spamd that replays a recorded reply (TestData/spamd/*.reply, captured from the
/// real spamd 4.0.1) and keeps the request it received, so the client's side of the protocol is
/// checked byte for byte. Behaviours for faults: stay silent, or close without a reply.
/// </summary>
internal sealed class FakeSpamd : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<byte[]?> _reply;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string? _socketPath;

    private FakeSpamd(Socket listener, Func<byte[]?> reply, string endpoint, string? socketPath)
    {
        _listener = listener;
        _reply = reply;
        Endpoint = endpoint;
        _socketPath = socketPath;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public string Endpoint { get; }

    public List<byte[]> Requests { get; } = [];

    /// <summary>When true the server reads the request and then never answers.</summary>
    public bool Silent { get; init; }

    public static FakeSpamd OnTcp(Func<byte[]?> reply, bool silent = false)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        s.Listen(16);
        return new FakeSpamd(s, reply, $"inet:127.0.0.1:{((IPEndPoint)s.LocalEndPoint!).Port}", null) { Silent = silent };
    }

    public static FakeSpamd OnUnix(string path, Func<byte[]?> reply)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        s.Listen(16);
        return new FakeSpamd(s, reply, "unix:" + path, path);
    }

    public static byte[] Recorded(string name) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "spamd", name));

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            var request = new MemoryStream();
            var buffer = new byte[8192];
            try
            {
                // Read to the announced Content-length (or the end of the head for PING).
                while (true)
                {
                    int n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                        break;
                    request.Write(buffer, 0, n);
                    if (IsComplete(request.ToArray()))
                        break;
                }

                lock (Requests)
                    Requests.Add(request.ToArray());
                if (Silent)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }

                byte[]? reply = _reply();
                if (reply is not null)
                    await client.SendAsync(reply, SocketFlags.None, _stop.Token);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
            catch (SocketException)
            {
            }
        }
    }

    private static bool IsComplete(byte[] data)
    {
        string text = Encoding.Latin1.GetString(data);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
            return false;
        foreach (string line in text[..end].Split("\r\n"))
        {
            if (line.StartsWith("Content-length:", StringComparison.OrdinalIgnoreCase))
                return data.Length >= end + 4 + int.Parse(line[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        if (_socketPath is not null)
            File.Delete(_socketPath);
        _stop.Dispose();
    }
}
