namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Checks that a key packet's algorithm is one Mailseal reads and that its public key material
/// is well formed, so a key that could never verify or receive is skipped with a reason at
/// read time rather than failing later.
/// </summary>
internal static class KeyMaterialCheck
{
    /// <summary>Returns null when the key is readable, else the reason (without the key id).</summary>
    public static string? Problem(PublicKeyPacket key, OpenPgpReadOptions options)
    {
        try
        {
            var r = new MpiReader(key.KeyMaterial.Span);
            int maxBits = options.MaxKeyBits;
            switch (key.Algorithm)
            {
                case PublicKeyAlgorithm.Rsa or PublicKeyAlgorithm.RsaEncryptOnly or PublicKeyAlgorithm.RsaSignOnly:
                    var n = r.ReadMpi("RSA modulus", maxBits);
                    // Real exponents are 3, 17, 65537 or at most 2^32+1; a giant one makes every check slow.
                    r.ReadMpi("RSA exponent", 256);
                    return n.Length < 64 ? $"RSA modulus of {n.Length * 8} bits is too small" : null;
                case PublicKeyAlgorithm.ElGamal or PublicKeyAlgorithm.ElGamalEncryptOrSign:
                    r.ReadMpi("ElGamal p", maxBits);
                    r.ReadMpi("ElGamal g", maxBits);
                    r.ReadMpi("ElGamal y", maxBits);
                    return null;
                case PublicKeyAlgorithm.Dsa:
                    // FIPS 186 DSA stops at 3072-bit p; bigger only makes each check slower.
                    r.ReadMpi("DSA p", Math.Min(maxBits, 3072));
                    r.ReadMpi("DSA q", 512);
                    r.ReadMpi("DSA g", maxBits);
                    r.ReadMpi("DSA y", maxBits);
                    return null;
                case PublicKeyAlgorithm.Ecdh:
                    {
                        var curve = CurveOids.Identify(r.ReadLengthPrefixed("ECDH curve OID"));
                        if (curve is EllipticCurve.Unknown or EllipticCurve.Ed25519Legacy)
                            return "ECDH on an unsupported curve";
                        if (curve == EllipticCurve.Curve25519Legacy && key.Version == 6)
                            return "Curve25519Legacy ECDH is not allowed in a v6 key";
                        r.ReadMpi("ECDH point", 1100);
                        var kdf = r.ReadLengthPrefixed("ECDH KDF parameters");
                        return kdf.Length != 3 || kdf[0] != 1 ? "ECDH KDF parameters are malformed" : null;
                    }

                case PublicKeyAlgorithm.Ecdsa:
                    {
                        var curve = CurveOids.Find(r.ReadLengthPrefixed("ECDSA curve OID"));
                        if (curve is not { Weierstrass: not null })
                            return "ECDSA on an unsupported curve";
                        var point = r.ReadMpi("ECDSA point", 1100);
                        return curve.IsWellFormedPoint(point) ? null : "ECDSA point is not an uncompressed point of its curve";
                    }

                case PublicKeyAlgorithm.EdDsaLegacy:
                    {
                        var curve = CurveOids.Find(r.ReadLengthPrefixed("EdDSA curve OID"));
                        if (curve is not { Id: EllipticCurve.Ed25519Legacy })
                            return "EdDSALegacy on an unsupported curve";
                        if (key.Version == 6)
                            return "EdDSALegacy is not allowed in a v6 key";
                        var point = r.ReadMpi("EdDSA point", 300);
                        return curve.IsWellFormedPoint(point) ? null : "EdDSALegacy point is malformed";
                    }

                case PublicKeyAlgorithm.X25519 or PublicKeyAlgorithm.X448 or PublicKeyAlgorithm.Ed25519 or PublicKeyAlgorithm.Ed448:
                    {
                        int length = NativeKeyLength(key.Algorithm);
                        return key.KeyMaterial.Length == length ? null : $"{key.Algorithm} key is not {length} octets";
                    }

                default:
                    return $"unknown public-key algorithm {(int)key.Algorithm}";
            }
        }
        catch (OpenPgpFormatException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// The public key's length in octets for the algorithms whose key is a native octet string
    /// (RFC 9580 sections 5.5.5.7 to 5.5.5.10); 0 for any other algorithm.
    /// </summary>
    public static int NativeKeyLength(PublicKeyAlgorithm algorithm) => algorithm switch
    {
        PublicKeyAlgorithm.X25519 or PublicKeyAlgorithm.Ed25519 => 32,
        PublicKeyAlgorithm.X448 => 56,
        PublicKeyAlgorithm.Ed448 => 57,
        _ => 0,
    };

    /// <summary>Whether the algorithm can encrypt at all (the fallback when a v4 key has no key flags).</summary>
    /// <remarks>ElGamal encrypt-or-sign (20) is excluded: RFC 9580 deprecates it and GnuPG refuses it.</remarks>
    public static bool CanEncrypt(PublicKeyAlgorithm algorithm) => algorithm is PublicKeyAlgorithm.Rsa or PublicKeyAlgorithm.RsaEncryptOnly
        or PublicKeyAlgorithm.ElGamal or PublicKeyAlgorithm.Ecdh or PublicKeyAlgorithm.X25519 or PublicKeyAlgorithm.X448;

    /// <summary>Whether the algorithm can sign (and so make self-signatures).</summary>
    public static bool CanSign(PublicKeyAlgorithm algorithm) => algorithm is PublicKeyAlgorithm.Rsa or PublicKeyAlgorithm.RsaSignOnly
        or PublicKeyAlgorithm.Dsa or PublicKeyAlgorithm.Ecdsa or PublicKeyAlgorithm.EdDsaLegacy or PublicKeyAlgorithm.Ed25519 or PublicKeyAlgorithm.Ed448;
}
