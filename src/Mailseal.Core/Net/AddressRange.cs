using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mailseal.Core.Net;

/// <summary>
/// One CIDR range (<c>192.0.2.0/24</c>, <c>2001:db8::/32</c>, or a bare address), on
/// <see cref="IPNetwork"/>: the one place Mailseal matches an address against a network, for
/// SPF's ip4/ip6/a/mx mechanisms (Mailseal.Dns's SpfEvaluator), spfd's <c>skip_addresses</c> and
/// <c>Whitelist</c>, and greyd's postgrey-style client whitelist. Host bits after the prefix are cleared, as RFC 7208
/// section 5.6 and policyd-spf read <c>192.0.2.1/24</c>; <see cref="IPNetwork"/> itself refuses them.
/// </summary>
public sealed class AddressRange
{
    private readonly IPAddress? _written;
    private string? _text;

    private AddressRange(IPNetwork network, string? text, IPAddress? written = null)
    {
        Network = network;
        _text = text;
        _written = written;
    }

    /// <summary>The network.</summary>
    public IPNetwork Network { get; }

    /// <summary>
    /// The range as it was written (for <see cref="Create"/>, ADDRESS/PREFIX: made when first
    /// asked for, as the SPF evaluator creates a range per address it matches and never prints it).
    /// </summary>
    public string Text => _text ??= string.Create(CultureInfo.InvariantCulture, $"{_written}/{Network.PrefixLength}");

    /// <summary>The range of <paramref name="address"/>'s first <paramref name="prefix"/> bits.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The prefix is negative or longer than the address.</exception>
    public static AddressRange Create(IPAddress address, int prefix)
    {
        ArgumentNullException.ThrowIfNull(address);
        byte[] bytes = address.GetAddressBytes();
        ArgumentOutOfRangeException.ThrowIfNegative(prefix);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefix, bytes.Length * 8);
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - bits));
        }

        return new AddressRange(new IPNetwork(new IPAddress(bytes), prefix), null, address);
    }

    /// <summary>Parses a comma-, space- or tab-separated list; throws <see cref="FormatException"/> naming the bad entry.</summary>
    public static IReadOnlyList<AddressRange> ParseList(string text, string optionName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var list = new List<AddressRange>();
        foreach (string item in text.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            list.Add(Parse(item, optionName));
        }

        return list;
    }

    /// <summary>Parses <c>ADDRESS</c> or <c>ADDRESS/PREFIX</c>; throws <see cref="FormatException"/> naming <paramref name="optionName"/>.</summary>
    public static AddressRange Parse(string text, string optionName)
    {
        ArgumentNullException.ThrowIfNull(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address) || address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new FormatException($"{optionName}: '{text}' is not an address or CIDR range");
        }

        int bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = bits;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
        {
            throw new FormatException($"{optionName}: '{text}' has a bad prefix length");
        }

        return new AddressRange(Create(address, prefix).Network, text);
    }

    /// <summary>
    /// True when <paramref name="address"/> is in the range, in its own address family only (SPF's
    /// reading: the evaluator passes the client in the family it checks). <see cref="IPNetwork.Contains"/>
    /// alone would also match an IPv4-mapped IPv6 address against an IPv4 range.
    /// </summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily == Network.BaseAddress.AddressFamily && Network.Contains(address);
    }

    /// <summary>
    /// True when <paramref name="client"/> is in the range, also when one of them is written
    /// IPv4-mapped (<c>::ffff:192.0.2.1</c>) and the other plain IPv4: Postfix may report a
    /// client in either form (spfd's skip_addresses and Whitelist).
    /// </summary>
    public bool ContainsEitherForm(IPAddress client)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (Contains(client))
        {
            return true;
        }

        if (client.AddressFamily == AddressFamily.InterNetworkV6 && client.IsIPv4MappedToIPv6)
        {
            return Contains(client.MapToIPv4());
        }

        return client.AddressFamily == AddressFamily.InterNetwork && Contains(client.MapToIPv6());
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}
