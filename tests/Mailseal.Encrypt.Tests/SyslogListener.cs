using System.Net.Sockets;
using System.Text;

namespace Mailseal.Encrypt.Tests;

/// <summary>A unix datagram socket standing in for /dev/log, so a test reads the tool's syslog lines.</summary>
internal sealed class SyslogListener : IDisposable
{
    private readonly Socket socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public SyslogListener(string path)
    {
        Path = path;
        socket.Bind(new UnixDomainSocketEndPoint(path));
    }

    public string Path { get; }

    public List<string> Drain()
    {
        var lines = new List<string>();
        var buffer = new byte[8192];
        while (socket.Poll(200_000, SelectMode.SelectRead))
        {
            var n = socket.Receive(buffer);
            lines.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return lines;
    }

    public void Dispose()
    {
        socket.Dispose();
        File.Delete(Path);
    }
}
