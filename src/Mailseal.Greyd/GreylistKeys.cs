using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Mailseal.Greyd;

/// <summary>
/// The keys postgrey 1.37 stores, byte for byte, so a postgrey database imports and means the
/// same: triplet <c>lc("NETWORK/SENDER/RECIPIENT")</c> and client <c>ADDRESS</c>, both SHA-1 hex
/// under <c>--privacy</c>.
/// </summary>
internal sealed partial class GreylistKeys
{
    private readonly bool _byHost;
    private readonly int _ipv4Prefix;
    private readonly int _ipv6Prefix;
    private readonly bool _privacy;

    public GreylistKeys(bool lookupByHost, int ipv4Prefix, int ipv6Prefix, bool privacy)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)ipv4Prefix, 32u, nameof(ipv4Prefix));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)ipv6Prefix, 128u, nameof(ipv6Prefix));
        _byHost = lookupByHost;
        _ipv4Prefix = ipv4Prefix;
        _ipv6Prefix = ipv6Prefix;
        _privacy = privacy;
    }

    /// <summary>The triplet key for a request.</summary>
    public string Triplet(IPAddress client, string sender, string recipient)
    {
        var key = (ClientNetwork(client) + "/" + NormalizeSender(sender) + "/" + recipient).ToLowerInvariant();
        return _privacy ? Sha1Hex(key) : key;
    }

    /// <summary>The automatic-whitelist key: the client address itself (not its network), as postgrey keeps it.</summary>
    public string Client(IPAddress client)
    {
        var key = AddressText(client);
        return _privacy ? Sha1Hex(key) : key;
    }

    /// <summary>
    /// The client part of the triplet: the address (<c>--lookup-by-host</c>) or its network
    /// (<c>--lookup-by-subnet</c>, the default: /24 for IPv4, /64 for IPv6).
    /// </summary>
    public string ClientNetwork(IPAddress client)
    {
        client = Canonical(client);
        if (_byHost)
            return AddressText(client);
        var bytes = client.GetAddressBytes();
        var prefix = bytes.Length == 4 ? _ipv4Prefix : _ipv6Prefix;
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - bits));
        }

        return AddressText(new IPAddress(bytes));
    }

    /// <summary>
    /// postgrey's sender substitutions: a BATV <c>prvs=TAG=user</c> (or <c>prvs=user=TAG</c>)
    /// local part becomes <c>user</c>; a <c>+extension</c> is cut; each run of digits standing
    /// as a word becomes <c>#</c> (VERP), so one list does not make a new triplet per message.
    /// An address without '@' (the null sender) is kept as it is.
    /// </summary>
    public static string NormalizeSender(string address)
    {
        var at = address.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
            return address;
        var user = address[..at];
        var domain = address[(at + 1)..];
        if (user.StartsWith("prvs=", StringComparison.Ordinal))
        {
            var parts = user.Split('=');
            if (parts.Length == 3)
            {
                var tagFirst = BatvTag().IsMatch(parts[1]);
                var tagLast = BatvTag().IsMatch(parts[2]);
                user = tagLast && !tagFirst ? parts[1] : parts[2];
            }
        }

        var plus = user.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
            user = user[..plus];
        user = DigitWord().Replace(user, "#");
        return user + "@" + domain;
    }

    /// <summary>
    /// An address as NetAddr::IP's <c>addr()</c> writes it: dotted quad for IPv4, eight
    /// upper-case hex groups without zero compression for IPv6 (lower-cased in the triplet key).
    /// </summary>
    public static string AddressText(IPAddress address)
    {
        address = Canonical(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return address.ToString();
        var bytes = address.GetAddressBytes();
        var sb = new StringBuilder(39);
        for (var i = 0; i < 16; i += 2)
        {
            if (i > 0)
                sb.Append(':');
            sb.Append(((bytes[i] << 8) | bytes[i + 1]).ToString("X", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>An IPv4-mapped IPv6 address (<c>::ffff:192.0.2.1</c>) as the IPv4 address it is.</summary>
    public static IPAddress Canonical(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static string Sha1Hex(string text)
    {
#pragma warning disable CA5350 // SHA-1 is postgrey's --privacy hash; kept so its databases import. Not a security boundary.
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5350
    }

    // postgrey: /^[0-9a-z]{10}/ (a BATV tag starts with 10 such characters).
    [GeneratedRegex("^[0-9a-z]{10}", RegexOptions.CultureInvariant)]
    private static partial Regex BatvTag();

    // postgrey: s/\b\d+\b/#/g with Perl's ASCII \d and \w.
    [GeneratedRegex(@"(?<![A-Za-z0-9_])[0-9]+(?![A-Za-z0-9_])", RegexOptions.CultureInvariant)]
    private static partial Regex DigitWord();
}
