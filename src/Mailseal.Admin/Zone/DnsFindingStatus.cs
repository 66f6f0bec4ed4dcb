namespace Mailseal.Admin.Zone;

/// <summary>The outcome of one <c>dns check</c> item.</summary>
internal enum DnsFindingStatus
{
    /// <summary>Present and right.</summary>
    Ok,

    /// <summary>Not checked (the admin gave nothing to check it against).</summary>
    Skipped,

    /// <summary>The lookup failed (timeout, SERVFAIL): nothing can be said yet.</summary>
    Unknown,

    /// <summary>The record is not there.</summary>
    Missing,

    /// <summary>The record is there but says something else, or is malformed.</summary>
    Wrong,
}
