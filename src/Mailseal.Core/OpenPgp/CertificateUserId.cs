namespace Mailseal.Core.OpenPgp;

/// <summary>A user id of a certificate with the outcome of checking its self-signatures.</summary>
public sealed class CertificateUserId
{
    internal CertificateUserId(string value, byte[] raw, IReadOnlyList<SignaturePacket> signatures, SignaturePacket? selfSignature,
        SignaturePacket? revocation)
    {
        Value = value;
        Raw = raw;
        Signatures = signatures;
        SelfSignature = selfSignature;
        Revocation = revocation;
        Email = CertificateText.ExtractEmail(value);
    }

    /// <summary>The user id as text (UTF-8; invalid sequences replaced).</summary>
    public string Value { get; }

    /// <summary>The lower-cased addr-spec found in the user id ("Name &lt;addr&gt;" or a bare address), or null.</summary>
    public string? Email { get; }

    /// <summary>Whether this is the certificate's primary user id.</summary>
    public bool IsPrimary { get; internal set; }

    /// <summary>Whether a verified certification revocation by the key owner supersedes the self-signature.</summary>
    public bool IsRevoked => Revocation is not null;

    /// <summary>Whether a self-signature by the primary key verifies and the user id is not revoked.</summary>
    public bool IsValid => SelfSignature is not null && !IsRevoked;

    /// <summary>The user id packet body as read.</summary>
    public ReadOnlyMemory<byte> Raw { get; }

    /// <summary>Every signature attached to the user id, as read (third-party ones are not verified).</summary>
    public IReadOnlyList<SignaturePacket> Signatures { get; }

    /// <summary>The newest verified self-certification, if any.</summary>
    public SignaturePacket? SelfSignature { get; }

    /// <summary>The verified certification revocation, if any.</summary>
    public SignaturePacket? Revocation { get; }
}
