using System.Net.Sockets;
using System.Text;

namespace Mailseal.Testing;

/// <summary>A unix datagram socket standing in for /dev/log, so a test reads the tool's syslog lines.</summary>
public sealed class SyslogListener : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public SyslogListener(string path)
    {
        Path = path;
        _socket.Bind(new UnixDomainSocketEndPoint(path));
    }

    /// <summary>The socket's path, for the tool's <c>--syslog-socket</c>.</summary>
    public string Path { get; }

    /// <summary>
    /// The start of one of <paramref name="tool"/>'s datagrams as Postfix's own programs write
    /// them: <c>&lt;22&gt;Dec  3 17:09:50 mailseal-pipe[4162]: </c> (facility mail, RFC 3164 time).
    /// </summary>
    public static string LinePrefixPattern(string tool, int severity = 6) =>
        $@"^<{16 + severity}>[A-Z][a-z]{{2}} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9] {System.Text.RegularExpressions.Regex.Escape(tool)}\[[0-9]+\]: ";

    /// <summary>Every datagram received until none arrives for 200 ms.</summary>
    public List<string> Drain()
    {
        var lines = new List<string>();
        var buffer = new byte[8192];
        while (_socket.Poll(200_000, SelectMode.SelectRead))
        {
            var n = _socket.Receive(buffer);
            lines.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return lines;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _socket.Dispose();
        File.Delete(Path);
    }
}
