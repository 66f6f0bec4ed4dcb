using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Keys;

/// <summary>
/// What a key directory knows about one recipient: whether the address is local, the
/// certificates found for it, and the key to encrypt to, or the reason there is none in the
/// admin's words (<c>no key for bob@example.org</c>, <c>key 0x... expired on 2025-03-01</c>).
/// A local address without a <see cref="Recipient"/> must be deferred, never delivered in plaintext.
/// </summary>
public sealed class KeyLookupResult
{
    private KeyLookupResult(string address, bool isLocal, bool found, IReadOnlyList<Certificate> certificates,
        Certificate? certificate, EncryptionRecipient? recipient, string? reason, string? source)
    {
        Address = address;
        IsLocal = isLocal;
        Found = found;
        Certificates = certificates;
        Certificate = certificate;
        Recipient = recipient;
        Reason = reason;
        Source = source;
    }

    /// <summary>The address as looked up (normalised when it could be), for logs.</summary>
    public string Address { get; }

    /// <summary>The address is a local account: its mail must be encrypted or deferred.</summary>
    public bool IsLocal { get; }

    /// <summary>The store has an entry (key file, user or alias row) for the address.</summary>
    public bool Found { get; }

    /// <summary>Every certificate the entry holds, usable or not.</summary>
    public IReadOnlyList<Certificate> Certificates { get; }

    /// <summary>The certificate the recipient key belongs to, when one is usable.</summary>
    public Certificate? Certificate { get; }

    /// <summary>The key to encrypt to, or null.</summary>
    public EncryptionRecipient? Recipient { get; }

    /// <summary>Why there is no <see cref="Recipient"/>; null when there is one.</summary>
    public string? Reason { get; }

    /// <summary>Where the entry came from (the key file path, <c>database</c>), for logs; null when not found.</summary>
    public string? Source { get; }

    /// <summary>A usable key was found.</summary>
    public bool HasUsableKey => Recipient is not null;

    /// <summary>A result for an address with no entry in the store.</summary>
    public static KeyLookupResult NotFound(string address, bool isLocal) =>
        new(address, isLocal, found: false, [], null, null,
            isLocal ? $"no key for {address}" : $"{address} is not a local address", source: null);

    /// <summary>A result for an address that cannot be looked up (malformed).</summary>
    public static KeyLookupResult Invalid(string address, bool isLocal, string reason) =>
        new(address, isLocal, found: false, [], null, null, reason, source: null);

    /// <summary>
    /// A result for an entry that exists: chooses, at <paramref name="now"/>, the first
    /// certificate with a usable encryption key; when none is usable the reason names each
    /// certificate's problem.
    /// </summary>
    public static KeyLookupResult FromCertificates(string address, IReadOnlyList<Certificate> certificates, DateTimeOffset now, string? source)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(certificates);
        if (certificates.Count == 0)
        {
            return new(address, isLocal: true, found: true, certificates, null, null, $"no key for {address} (the key entry holds no usable certificate)", source);
        }

        var reasons = new List<string>();
        foreach (Certificate certificate in certificates)
        {
            EncryptionKeySelection selection = certificate.SelectEncryptionKey(now);
            if (selection.IsUsable)
            {
                return new(address, isLocal: true, found: true, certificates, certificate, selection.Recipient, null, source);
            }

            reasons.Add(selection.Reason ?? $"key 0x{certificate.FingerprintHex} cannot encrypt");
        }

        string reason = reasons.Count == 1
            ? reasons[0]
            : $"no usable key for {address}: " + string.Join("; ", reasons);
        return new(address, isLocal: true, found: true, certificates, null, null, reason, source);
    }

    /// <summary>A result for an entry whose key data could not be read at all.</summary>
    public static KeyLookupResult Unreadable(string address, string reason, string? source) =>
        new(address, isLocal: true, found: true, [], null, null, reason, source);
}
