namespace Mailseal.Core.OpenPgp;

/// <summary>A subkey of a certificate with what its verified binding and revocation signatures say.</summary>
public sealed class CertificateSubkey
{
    internal CertificateSubkey(PublicKeyPacket key, IReadOnlyList<SignaturePacket> signatures, KeyFlags flags, bool flagsStated,
        DateTimeOffset? expires, SignaturePacket? binding, SignaturePacket? revocation, string? problem)
    {
        Key = key;
        Signatures = signatures;
        Flags = flags;
        FlagsStated = flagsStated;
        Expires = expires;
        Binding = binding;
        Revocation = revocation;
        Problem = problem;
    }

    /// <summary>The subkey packet.</summary>
    public PublicKeyPacket Key { get; }

    /// <summary>
    /// Usage from the newest verified binding signature; for a v4 binding without a key flags
    /// subpacket, what the algorithm can do (encrypt for RSA, ElGamal, ECDH, X25519, X448).
    /// </summary>
    public KeyFlags Flags { get; }

    /// <summary>Whether <see cref="Flags"/> came from a key flags subpacket (false = inferred from the algorithm).</summary>
    public bool FlagsStated { get; }

    /// <summary>When the subkey expires (creation + key expiration time of the binding); null = never.</summary>
    public DateTimeOffset? Expires { get; }

    /// <summary>Whether a verified subkey revocation signature exists.</summary>
    public bool IsRevoked => Revocation is not null;

    /// <summary>Why the subkey can never be used (no verifying binding signature, revoked); null when none. Expiry is judged per call of <see cref="Certificate.SelectEncryptionKey"/>.</summary>
    public string? Problem { get; }

    /// <summary>Every signature attached to the subkey, as read.</summary>
    public IReadOnlyList<SignaturePacket> Signatures { get; }

    /// <summary>The newest verified binding signature, if any.</summary>
    public SignaturePacket? Binding { get; }

    /// <summary>The verified revocation signature, if any.</summary>
    public SignaturePacket? Revocation { get; }
}
