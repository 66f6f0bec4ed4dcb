using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mailseal.Policy;

/// <summary>
/// Where a daemon listens, in Postfix's own notation: <c>inet:HOST:PORT</c> (HOST may be an
/// IPv6 address in brackets, <c>[::1]:10045</c>) or <c>unix:PATH</c>.
/// </summary>
public sealed class PolicyEndpoint
{
    private PolicyEndpoint(string text, EndPoint endPoint)
    {
        Text = text;
        EndPoint = endPoint;
    }

    /// <summary>The endpoint as the admin wrote it.</summary>
    public string Text { get; }

    /// <summary>The socket address: an <see cref="IPEndPoint"/> or a <see cref="UnixDomainSocketEndPoint"/>.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The unix socket path, or <c>null</c> for inet.</summary>
    public string? UnixPath => EndPoint is UnixDomainSocketEndPoint ? Text["unix:".Length..] : null;

    /// <summary>Parses <c>inet:HOST:PORT</c> or <c>unix:PATH</c>; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static PolicyEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = text["unix:".Length..];
            if (path.Length == 0)
                throw new FormatException("listen address 'unix:' needs a socket path");
            if (path.Length > 100)
                throw new FormatException($"unix socket path longer than 100 bytes: {path}");
            return new PolicyEndpoint(text, new UnixDomainSocketEndPoint(path));
        }

        if (text.StartsWith("inet:", StringComparison.Ordinal))
        {
            var rest = text["inet:".Length..];
            var colon = rest.LastIndexOf(':');
            if (colon <= 0)
                throw new FormatException($"listen address must be inet:HOST:PORT, not {text}");
            var host = rest[..colon];
            if (host.StartsWith('[') && host.EndsWith(']'))
                host = host[1..^1];
            if (!IPAddress.TryParse(host, out var address))
                throw new FormatException($"listen host must be an IP address: {text}");
            if (!int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
                throw new FormatException($"listen port must be 0..65535: {text}");
            return new PolicyEndpoint(text, new IPEndPoint(address, port));
        }

        throw new FormatException($"listen address must start with inet: or unix:, not {text}");
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
