namespace Mailseal.Dns;

/// <summary>
/// How a DNS query ended. A timeout or a server failure is never the same as "no record":
/// callers must treat <see cref="ServFail"/>, <see cref="Timeout"/>, <see cref="Refused"/> and
/// <see cref="FormatError"/> as temporary failures.
/// </summary>
public enum DnsStatus
{
    /// <summary>The name exists and records of the asked type were returned.</summary>
    Ok,

    /// <summary>The name does not exist (RCODE 3).</summary>
    NxDomain,

    /// <summary>The name exists but has no record of the asked type.</summary>
    NoData,

    /// <summary>The server failed (RCODE 2), or a CNAME chain was too long or looped.</summary>
    ServFail,

    /// <summary>No server answered in time.</summary>
    Timeout,

    /// <summary>The server refused the query (RCODE 5).</summary>
    Refused,

    /// <summary>The query or the answer was malformed (RCODE 1, an unparsable answer, or a name that cannot be encoded).</summary>
    FormatError,
}
