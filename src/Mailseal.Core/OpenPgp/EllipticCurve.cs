namespace Mailseal.Core.OpenPgp;

/// <summary>Curves named by OID in ECDH, ECDSA and EdDSALegacy keys (RFC 9580 section 9.2).</summary>
public enum EllipticCurve
{
    /// <summary>An OID Mailseal does not know.</summary>
    Unknown = 0,
    /// <summary>NIST P-256.</summary>
    NistP256,
    /// <summary>NIST P-384.</summary>
    NistP384,
    /// <summary>NIST P-521.</summary>
    NistP521,
    /// <summary>brainpoolP256r1.</summary>
    BrainpoolP256r1,
    /// <summary>brainpoolP384r1.</summary>
    BrainpoolP384r1,
    /// <summary>brainpoolP512r1.</summary>
    BrainpoolP512r1,
    /// <summary>Ed25519Legacy (EdDSALegacy keys).</summary>
    Ed25519Legacy,
    /// <summary>Curve25519Legacy (ECDH keys).</summary>
    Curve25519Legacy,
}
