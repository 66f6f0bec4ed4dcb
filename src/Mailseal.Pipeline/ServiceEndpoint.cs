using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mailseal.Pipeline;

/// <summary>
/// A service Mailseal connects to (spamd, the re-injection smtpd): <c>inet:HOST:PORT</c>,
/// <c>HOST:PORT</c>, <c>[IPV6]:PORT</c> or <c>unix:/path/to/socket</c>, the forms Postfix admins
/// already write. (Listening addresses have other rules: see Mailseal.Policy.PolicyEndpoint.)
/// </summary>
public sealed class ServiceEndpoint
{
    private ServiceEndpoint(EndPoint endPoint, string text)
    {
        EndPoint = endPoint;
        Text = text;
    }

    /// <summary>The socket address.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The endpoint as configured, for messages and logs.</summary>
    public string Text { get; }

    /// <summary>True for a unix-domain socket.</summary>
    public bool IsUnix => EndPoint is UnixDomainSocketEndPoint;

    /// <summary>Parses an endpoint; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static ServiceEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (t.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = t[5..];
            if (path.Length == 0 || path[0] != '/')
                throw new FormatException($"endpoint '{text}': a unix socket needs an absolute path");
            return new ServiceEndpoint(new UnixDomainSocketEndPoint(path), t);
        }

        if (t.StartsWith("inet:", StringComparison.Ordinal))
            t = t[5..];
        int colon = t.LastIndexOf(':');
        if (colon <= 0 || colon == t.Length - 1)
            throw new FormatException($"endpoint '{text}': expected inet:HOST:PORT or unix:/PATH");
        string host = t[..colon].Trim('[', ']');
        if (!ushort.TryParse(t[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out ushort port) || port == 0)
            throw new FormatException($"endpoint '{text}': '{t[(colon + 1)..]}' is not a port number");
        EndPoint ep = IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
        return new ServiceEndpoint(ep, text.Trim());
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}
