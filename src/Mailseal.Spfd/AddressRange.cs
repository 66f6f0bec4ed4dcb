using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mailseal.Spfd;

/// <summary>
/// One CIDR range of <c>skip_addresses</c> or <c>Whitelist</c> (<c>192.0.2.0/24</c>,
/// <c>::ffff:127.0.0.0/104</c>, or a bare address). An IPv4 client matches an IPv4-mapped IPv6
/// range and the other way round, since Postfix may report either form.
/// </summary>
internal sealed class AddressRange
{
    private readonly byte[] _network;
    private readonly int _prefix;

    private AddressRange(byte[] network, int prefix, string text)
    {
        _network = network;
        _prefix = prefix;
        Text = text;
    }

    public string Text { get; }

    /// <summary>Parses a comma-separated list; throws <see cref="FormatException"/> naming the bad entry.</summary>
    public static IReadOnlyList<AddressRange> ParseList(string text, string optionName)
    {
        var list = new List<AddressRange>();
        foreach (var item in text.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            list.Add(Parse(item, optionName));
        return list;
    }

    public static AddressRange Parse(string text, string optionName)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address) || address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new FormatException($"{optionName}: '{text}' is not an address or CIDR range");
        var bytes = address.GetAddressBytes();
        var prefix = bytes.Length * 8;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bytes.Length * 8))
            throw new FormatException($"{optionName}: '{text}' has a bad prefix length");
        Mask(bytes, prefix);
        return new AddressRange(bytes, prefix, text);
    }

    public bool Contains(IPAddress client)
    {
        var bytes = client.GetAddressBytes();
        var prefix = _prefix;
        if (bytes.Length != _network.Length)
        {
            if (bytes.Length == 16 && client.IsIPv4MappedToIPv6)
                bytes = client.MapToIPv4().GetAddressBytes();
            else if (bytes.Length == 4)
                bytes = client.MapToIPv6().GetAddressBytes();
            else
                return false;
            if (bytes.Length != _network.Length)
                return false;
        }

        Mask(bytes, prefix);
        return bytes.AsSpan().SequenceEqual(_network);
    }

    private static void Mask(byte[] bytes, int prefix)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - bits));
        }
    }

    public override string ToString() => Text;
}
