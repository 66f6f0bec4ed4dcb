using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Policy.Tests;

/// <summary>A test client of the policy server: one connection, one write, the reply bytes read back.</summary>
internal static class PolicyClient
{
    public static async Task<string> ExchangeAsync(EndPoint endPoint, string text, int expectedBytes)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        return await ReadAsync(stream, expectedBytes);
    }

    public static async Task<string> ExchangeOrResetAsync(EndPoint endPoint, string text, int expectedBytes)
    {
        try
        {
            return await ExchangeAsync(endPoint, text, expectedBytes);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return string.Empty;
        }
    }

    public static async Task<string> ReadAsync(Stream stream, int expectedBytes)
    {
        var buffer = new byte[Math.Max(expectedBytes, 1) + 1024];
        var total = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (total < expectedBytes)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), timeout.Token);
            if (n == 0)
                break;
            total += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }
}
