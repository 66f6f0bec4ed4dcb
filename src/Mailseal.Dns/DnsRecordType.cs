namespace Mailseal.Dns;

/// <summary>The DNS resource record types Mailseal queries (RFC 1035, RFC 3596, RFC 4408).</summary>
public enum DnsRecordType : ushort
{
    /// <summary>IPv4 host address.</summary>
    A = 1,

    /// <summary>Authoritative name server.</summary>
    Ns = 2,

    /// <summary>Canonical name (alias).</summary>
    Cname = 5,

    /// <summary>Start of authority; carries the negative-caching TTL.</summary>
    Soa = 6,

    /// <summary>Domain name pointer (reverse lookups).</summary>
    Ptr = 12,

    /// <summary>Mail exchange.</summary>
    Mx = 15,

    /// <summary>Text strings.</summary>
    Txt = 16,

    /// <summary>IPv6 host address.</summary>
    Aaaa = 28,

    /// <summary>An OpenPGP transferable public key (RFC 7929); its data is kept raw (<see cref="DnsRecord.Data"/>).</summary>
    OpenPgpKey = 61,

    /// <summary>The obsolete SPF record type of RFC 4408 (RFC 7208 no longer queries it).</summary>
    Spf = 99,
}
