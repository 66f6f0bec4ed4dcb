namespace Mailseal.Core.OpenPgp;

/// <summary>Public-key algorithm ids (RFC 9580 section 9.1).</summary>
public enum PublicKeyAlgorithm : byte
{
    /// <summary>RSA (encrypt or sign).</summary>
    Rsa = 1,
    /// <summary>RSA encrypt-only (deprecated, still read).</summary>
    RsaEncryptOnly = 2,
    /// <summary>RSA sign-only (deprecated, still read).</summary>
    RsaSignOnly = 3,
    /// <summary>ElGamal encrypt-only.</summary>
    ElGamal = 16,
    /// <summary>DSA.</summary>
    Dsa = 17,
    /// <summary>ECDH (RFC 6637) on NIST, brainpool or Curve25519Legacy.</summary>
    Ecdh = 18,
    /// <summary>ECDSA on NIST or brainpool curves.</summary>
    Ecdsa = 19,
    /// <summary>ElGamal encrypt-or-sign (obsolete, read only).</summary>
    ElGamalEncryptOrSign = 20,
    /// <summary>EdDSALegacy (Ed25519 with the legacy OID encoding).</summary>
    EdDsaLegacy = 22,
    /// <summary>X25519 (RFC 9580 native encoding).</summary>
    X25519 = 25,
    /// <summary>X448.</summary>
    X448 = 26,
    /// <summary>Ed25519 (RFC 9580 native encoding).</summary>
    Ed25519 = 27,
    /// <summary>Ed448.</summary>
    Ed448 = 28,
}
