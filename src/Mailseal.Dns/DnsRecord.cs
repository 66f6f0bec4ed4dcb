using System.Net;
using System.Net.Sockets;

namespace Mailseal.Dns;

/// <summary>
/// One resource record with its data already decoded: an address (A, AAAA), a target name
/// (PTR, CNAME, NS, MX exchange, SOA primary server), an MX preference, or TXT strings.
/// </summary>
public sealed class DnsRecord
{
    private static readonly IReadOnlyList<string> NoStrings = Array.Empty<string>();

    private DnsRecord(string name, DnsRecordType type, uint ttl)
    {
        Name = DnsName.Normalize(name);
        Type = type;
        Ttl = ttl;
        TextStrings = NoStrings;
    }

    /// <summary>The owner name, without a trailing dot.</summary>
    public string Name { get; }

    /// <summary>The record type.</summary>
    public DnsRecordType Type { get; }

    /// <summary>Time to live in seconds.</summary>
    public uint Ttl { get; private init; }

    /// <summary>The address of an A or AAAA record; null otherwise.</summary>
    public IPAddress? Address { get; private init; }

    /// <summary>The target of a PTR, CNAME or NS record, the exchange of an MX record, the primary server of an SOA record (no trailing dot); null otherwise.</summary>
    public string? Target { get; private init; }

    /// <summary>The exchange host of an MX record (same as <see cref="Target"/>); null for other types.</summary>
    public string? Exchange => Type == DnsRecordType.Mx ? Target : null;

    /// <summary>The preference of an MX record; 0 otherwise.</summary>
    public ushort Preference { get; private init; }

    /// <summary>The SOA MINIMUM field (the negative-caching TTL of RFC 2308); 0 otherwise.</summary>
    public uint SoaMinimum { get; private init; }

    /// <summary>The raw record data of a type not decoded above (OPENPGPKEY and unknown types); empty for decoded types.</summary>
    public ReadOnlyMemory<byte> Data { get; private init; }

    /// <summary>The character-strings of a TXT or SPF record, each byte mapped to one char (Latin-1), so non-ASCII bytes stay visible.</summary>
    public IReadOnlyList<string> TextStrings { get; private init; }

    /// <summary>The TXT or SPF strings joined with nothing in between (RFC 7208 section 3.3); null for other types.</summary>
    public string? Text { get; private init; }

    /// <summary>Creates an A or AAAA record; the type follows the address family.</summary>
    public static DnsRecord ForAddress(string name, IPAddress address, uint ttl = 3600)
    {
        ArgumentNullException.ThrowIfNull(address);
        DnsRecordType type = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => DnsRecordType.A,
            AddressFamily.InterNetworkV6 => DnsRecordType.Aaaa,
            _ => throw new ArgumentException("Only IPv4 and IPv6 addresses have DNS records.", nameof(address)),
        };
        return new DnsRecord(name, type, ttl) { Address = address };
    }

    /// <summary>Creates a record whose data is one domain name: PTR, CNAME or NS.</summary>
    public static DnsRecord ForTarget(string name, DnsRecordType type, string target, uint ttl = 3600)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (type is not (DnsRecordType.Ptr or DnsRecordType.Cname or DnsRecordType.Ns))
        {
            throw new ArgumentException($"{type} records do not hold a single name.", nameof(type));
        }

        return new DnsRecord(name, type, ttl) { Target = DnsName.Normalize(target) };
    }

    /// <summary>Creates an MX record.</summary>
    public static DnsRecord ForMx(string name, ushort preference, string exchange, uint ttl = 3600)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        return new DnsRecord(name, DnsRecordType.Mx, ttl) { Preference = preference, Target = DnsName.Normalize(exchange) };
    }

    /// <summary>Creates a TXT (or SPF) record from its character-strings.</summary>
    public static DnsRecord ForText(string name, IReadOnlyList<string> strings, DnsRecordType type = DnsRecordType.Txt, uint ttl = 3600)
    {
        ArgumentNullException.ThrowIfNull(strings);
        if (type is not (DnsRecordType.Txt or DnsRecordType.Spf))
        {
            throw new ArgumentException($"{type} records do not hold text.", nameof(type));
        }

        string[] copy = [.. strings];
        return new DnsRecord(name, type, ttl) { TextStrings = copy, Text = string.Concat(copy) };
    }

    /// <summary>Creates an SOA record (only the fields a resolver needs: primary server and MINIMUM).</summary>
    public static DnsRecord ForSoa(string name, string primaryServer, uint minimum, uint ttl = 3600)
    {
        ArgumentNullException.ThrowIfNull(primaryServer);
        return new DnsRecord(name, DnsRecordType.Soa, ttl) { Target = DnsName.Normalize(primaryServer), SoaMinimum = minimum };
    }

    /// <summary>Creates a record of a type this class does not decode (OPENPGPKEY, or any unknown type): its data is kept as it came.</summary>
    /// <param name="name">The owner name.</param>
    /// <param name="type">The record type.</param>
    /// <param name="data">The record data (RDATA), copied.</param>
    /// <param name="ttl">Time to live in seconds.</param>
    public static DnsRecord ForData(string name, DnsRecordType type, ReadOnlySpan<byte> data, uint ttl = 3600) =>
        new(name, type, ttl) { Data = data.ToArray() };

    /// <inheritdoc/>
    public override string ToString()
    {
        string data = Type switch
        {
            DnsRecordType.A or DnsRecordType.Aaaa => Address?.ToString() ?? string.Empty,
            DnsRecordType.Mx => $"{Preference} {Target}",
            DnsRecordType.Txt or DnsRecordType.Spf => string.Join(" ", TextStrings.Select(s => "\"" + s + "\"")),
            DnsRecordType.Soa => $"{Target} minimum {SoaMinimum}",
            _ => Target ?? string.Empty,
        };
        return $"{Name} {Ttl} {Type.ToString().ToUpperInvariant()} {data}";
    }
}
