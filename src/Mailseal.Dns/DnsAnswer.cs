namespace Mailseal.Dns;

/// <summary>The outcome of one <see cref="IDnsResolver.QueryAsync"/> call, after any CNAME chain was followed.</summary>
public sealed class DnsAnswer
{
    private static readonly IReadOnlyList<DnsRecord> NoRecords = Array.Empty<DnsRecord>();

    /// <summary>Creates an answer.</summary>
    /// <param name="status">How the query ended.</param>
    /// <param name="records">The records of the asked type (empty unless <paramref name="status"/> is <see cref="DnsStatus.Ok"/>).</param>
    /// <param name="canonicalName">The name at the end of the CNAME chain, or null when there was no alias.</param>
    public DnsAnswer(DnsStatus status, IReadOnlyList<DnsRecord>? records = null, string? canonicalName = null)
    {
        Status = status;
        Records = records ?? NoRecords;
        CanonicalName = canonicalName;
    }

    /// <summary>How the query ended.</summary>
    public DnsStatus Status { get; }

    /// <summary>The records of the asked type, owned by <see cref="CanonicalName"/> when a CNAME chain was followed.</summary>
    public IReadOnlyList<DnsRecord> Records { get; }

    /// <summary>The name at the end of the CNAME chain, or null when the asked name was not an alias.</summary>
    public string? CanonicalName { get; }

    /// <summary>True for outcomes that may change if asked again later (server failure, timeout, refusal, malformed answer).</summary>
    public bool IsTemporaryFailure => Status is DnsStatus.ServFail or DnsStatus.Timeout or DnsStatus.Refused or DnsStatus.FormatError;

    /// <summary>True when the name does not exist or has no record of the asked type (a "void" lookup in SPF terms).</summary>
    public bool IsEmpty => Status is DnsStatus.NxDomain or DnsStatus.NoData || (Status == DnsStatus.Ok && Records.Count == 0);

    /// <inheritdoc/>
    public override string ToString() => $"{Status} ({Records.Count} records)";
}
