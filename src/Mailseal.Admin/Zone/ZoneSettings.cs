using System.Net;

namespace Mailseal.Admin.Zone;

/// <summary>What the records of a mail domain are built from (<c>dns records</c>) or checked against (<c>dns check</c>).</summary>
internal sealed class ZoneSettings
{
    /// <summary>The mail domain, A-label form, no trailing dot.</summary>
    public required string Domain { get; init; }

    /// <summary>The mail host the MX names (default <c>mail.DOMAIN</c>).</summary>
    public required string Host { get; init; }

    /// <summary>The mail host's addresses; empty for <c>dns check</c> when the admin gave none.</summary>
    public IReadOnlyList<IPAddress> Addresses { get; init; } = [];

    public uint Ttl { get; init; } = 3600;

    public string? DkimSelector { get; init; }

    public DkimKey? DkimKey { get; init; }

    /// <summary>DMARC p= (none, quarantine, reject).</summary>
    public string DmarcPolicy { get; init; } = "none";

    /// <summary>DMARC aggregate report address (rua), null for none.</summary>
    public string? DmarcReport { get; init; }

    /// <summary>Publish <c>openpgpkey.DOMAIN</c> for the WKD advanced method.</summary>
    public bool WkdAdvanced { get; init; } = true;

    /// <summary>The accounts of the domain with a usable key: address and the key as WKD/DANE serve it (binary, only that user id).</summary>
    public IReadOnlyList<(string Address, string Fingerprint, byte[] Key)> Keys { get; init; } = [];
}
