using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Dns;

/// <summary>Domain-name helpers shared by the resolver, the in-memory zone and SPF.</summary>
public static class DnsName
{
    /// <summary>Longest name in presentation form without the trailing dot (RFC 1035: 255 octets on the wire).</summary>
    public const int MaxLength = 253;

    /// <summary>Longest label (RFC 1035).</summary>
    public const int MaxLabelLength = 63;

    /// <summary>Drops one trailing dot (the root name "." stays "."), and nothing else.</summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length > 1 && name[^1] == '.' ? name[..^1] : name;
    }

    /// <summary>Lower-cases ASCII letters only (DNS names compare case-insensitively in ASCII) and drops one trailing dot.</summary>
    public static string Key(string name)
    {
        string n = Normalize(name);
        return n.ToLowerInvariant();
    }

    /// <summary>True when both names are the same DNS name (ASCII case-insensitive, trailing dot ignored).</summary>
    public static bool AreEqual(string a, string b) =>
        string.Equals(Normalize(a), Normalize(b), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// True when <paramref name="name"/> can be sent as a query: one octet per character (Latin-1,
    /// no control characters), no empty label (except a single trailing dot), labels of 1-63 octets,
    /// at most 253 characters. Labels may hold any other octet (RFC 2181 section 11).
    /// </summary>
    public static bool IsValidQueryName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = Normalize(name);
        if (n.Length == 0 || n.Length > MaxLength)
        {
            return false;
        }

        if (n == ".")
        {
            return true;
        }

        int labelLength = 0;
        foreach (char c in n)
        {
            if (c > 0xff || c < 0x20 || c == 0x7f)
            {
                return false;
            }

            if (c == '.')
            {
                if (labelLength == 0)
                {
                    return false;
                }

                labelLength = 0;
            }
            else if (++labelLength > MaxLabelLength)
            {
                return false;
            }
        }

        return labelLength > 0;
    }

    /// <summary>The reverse-lookup name of an address: d.c.b.a.in-addr.arpa or the nibble form under ip6.arpa.</summary>
    public static string ReverseName(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        byte[] bytes = address.GetAddressBytes();
        var sb = new StringBuilder(80);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            for (int i = 3; i >= 0; i--)
            {
                sb.Append(bytes[i].ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('.');
            }

            return sb.Append("in-addr.arpa").ToString();
        }

        const string hex = "0123456789abcdef";
        for (int i = 15; i >= 0; i--)
        {
            sb.Append(hex[bytes[i] & 0xf]).Append('.').Append(hex[bytes[i] >> 4]).Append('.');
        }

        return sb.Append("ip6.arpa").ToString();
    }
}
