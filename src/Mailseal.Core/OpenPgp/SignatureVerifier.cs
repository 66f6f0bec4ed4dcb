using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.TeleTrust;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Verifies self-signatures on keys (RFC 9580 section 5.2.4): hashes what the signature type
/// covers (key, user id, subkey), the hashed portion and the v4 or v6 trailer (v6: salt first),
/// then checks the signature with .NET (RSA PKCS#1 v1.5, ECDSA on NIST curves) or
/// BouncyCastle's low-level primitives (DSA, ECDSA on brainpool curves); Ed25519 and Ed448 through
/// <see cref="EdDsaVerifier"/> (the system's libcrypto, BouncyCastle when it is missing).
/// </summary>
internal static class SignatureVerifier
{
    /// <summary>What a signature covers after the signing key.</summary>
    internal enum Target
    {
        /// <summary>The primary key alone (direct-key, key revocation).</summary>
        KeyOnly,
        /// <summary>Primary key and a user id (certifications and their revocations).</summary>
        UserId,
        /// <summary>Primary key and a subkey (subkey binding, subkey revocation, primary key binding).</summary>
        Subkey,
    }

    /// <summary>
    /// Verifies <paramref name="sig"/> made by <paramref name="signer"/> over <paramref name="primary"/>
    /// and, per target, a user id or a subkey. Returns null when it verifies, else the reason.
    /// </summary>
    public static string? Verify(SignaturePacket sig, PublicKeyPacket signer, PublicKeyPacket primary, Target target,
        ReadOnlySpan<byte> userId = default, PublicKeyPacket? subkey = null)
    {
        if (sig.Version != primary.Version)
            return $"a v{sig.Version} signature on a v{primary.Version} key";
        if (sig.KeyAlgorithm != signer.Algorithm)
            return "the signature algorithm does not match the key";
        if (!sig.HasCreationTime)
            return "the signature has no creation time";
        if (sig.UnknownCriticalSubpacket is int critical)
            return $"the signature has an unknown critical subpacket {critical}";
        if (sig.Version == 6 && sig.Salt.Length != SignatureHasher.V6SaltSize(sig.Hash))
            return "the v6 signature salt has the wrong size for its hash";

        var hasher = SignatureHasher.Create(sig.Hash, out string? hashProblem);
        if (hasher is null)
            return $"the signature {hashProblem}";
        if (sig.Version == 6)
            hasher.Append(sig.Salt.Span);
        hasher.AppendKey(primary);
        switch (target)
        {
            case Target.UserId:
                hasher.AppendUserPacket(0xB4, userId);
                break;
            case Target.Subkey:
                hasher.AppendKey(subkey!);
                break;
        }

        var hashed = sig.HashedPortion.Span;
        hasher.Append(hashed);
        Span<byte> trailer = stackalloc byte[6];
        trailer[0] = (byte)sig.Version;
        trailer[1] = 0xFF;
        BinaryPrimitives.WriteUInt32BigEndian(trailer[2..], (uint)hashed.Length);
        hasher.Append(trailer);
        byte[] digest = hasher.Finish();

        if (BinaryPrimitives.ReadUInt16BigEndian(digest) != sig.HashPrefix)
            return "the signature does not verify (hash prefix mismatch)";

        try
        {
            return VerifyMaterial(signer, sig, digest) ? null : "the signature does not verify";
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or InvalidOperationException
            or ArithmeticException or CryptoException or OpenPgpFormatException)
        {
            return $"the signature does not verify ({ex.Message})";
        }
    }

    private static bool VerifyMaterial(PublicKeyPacket key, SignaturePacket sig, byte[] digest)
    {
        var k = new MpiReader(key.KeyMaterial.Span);
        var s = new MpiReader(sig.SignatureMaterial.Span);
        switch (key.Algorithm)
        {
            case PublicKeyAlgorithm.Rsa or PublicKeyAlgorithm.RsaSignOnly:
                {
                    byte[] n = k.ReadMpi("RSA modulus").ToArray();
                    byte[] e = k.ReadMpi("RSA exponent").ToArray();
                    var m = s.ReadMpi("RSA signature");
                    if (m.Length > n.Length)
                        return false;
                    byte[] padded = new byte[n.Length];
                    m.CopyTo(padded.AsSpan(n.Length - m.Length));
                    return VerifyRsa(n, e, padded, digest, sig.Hash);
                }

            case PublicKeyAlgorithm.Dsa:
                {
                    var p = Big(k.ReadMpi("DSA p"));
                    var q = Big(k.ReadMpi("DSA q"));
                    var g = Big(k.ReadMpi("DSA g"));
                    var y = Big(k.ReadMpi("DSA y"));
                    var r = Big(s.ReadMpi("DSA r"));
                    var ss = Big(s.ReadMpi("DSA s"));
                    var signer = new DsaSigner();
                    signer.Init(false, new DsaPublicKeyParameters(y, new DsaParameters(p, q, g)));
                    return signer.VerifySignature(digest, r, ss);
                }

            case PublicKeyAlgorithm.Ecdsa:
                {
                    var curve = CurveOids.Find(k.ReadLengthPrefixed("ECDSA curve OID"));
                    var point = k.ReadMpi("ECDSA point");
                    var r = s.ReadMpi("ECDSA r");
                    var ss = s.ReadMpi("ECDSA s");
                    return VerifyEcdsa(curve, point, r, ss, digest);
                }

            case PublicKeyAlgorithm.EdDsaLegacy:
                {
                    k.ReadLengthPrefixed("EdDSA curve OID");
                    var point = k.ReadMpi("EdDSA point");
                    if (point.Length != 33 || point[0] != 0x40)
                        return false;
                    var r = s.ReadMpi("EdDSA r");
                    var ss = s.ReadMpi("EdDSA s");
                    if (r.Length > 32 || ss.Length > 32)
                        return false;
                    byte[] sigBytes = new byte[64];
                    r.CopyTo(sigBytes.AsSpan(32 - r.Length));
                    ss.CopyTo(sigBytes.AsSpan(64 - ss.Length));
                    return EdDsaVerifier.VerifyEd25519(sigBytes, point[1..], digest);
                }

            case PublicKeyAlgorithm.Ed25519:
                {
                    return EdDsaVerifier.VerifyEd25519(sig.SignatureMaterial.Span, key.KeyMaterial.Span, digest);
                }

            case PublicKeyAlgorithm.Ed448:
                {
                    return EdDsaVerifier.VerifyEd448(sig.SignatureMaterial.Span, key.KeyMaterial.Span, digest);
                }

            default:
                return false;
        }
    }

    private static bool VerifyRsa(byte[] n, byte[] e, byte[] signature, byte[] digest, HashAlgorithm hash)
    {
        HashAlgorithmName? name = hash switch
        {
            HashAlgorithm.Sha1 => HashAlgorithmName.SHA1,
            HashAlgorithm.Sha256 => HashAlgorithmName.SHA256,
            HashAlgorithm.Sha384 => HashAlgorithmName.SHA384,
            HashAlgorithm.Sha512 => HashAlgorithmName.SHA512,
            _ => null,
        };
        if (name is { } hashName)
        {
            using var rsa = RSA.Create();
            rsa.ImportParameters(new RSAParameters { Modulus = n, Exponent = e });
            return rsa.VerifyHash(digest, signature, hashName, RSASignaturePadding.Pkcs1);
        }

        // SHA-224 and SHA3 have no .NET HashAlgorithmName that works everywhere: check the
        // EMSA-PKCS1-v1_5 encoding (RFC 8017 section 9.2) directly.
        byte[]? prefix = hash switch
        {
            HashAlgorithm.Sha224 => Convert.FromHexString("302d300d06096086480165030402040500041c"),
            HashAlgorithm.Sha3_256 => Convert.FromHexString("3031300d060960864801650304020805000420"),
            HashAlgorithm.Sha3_512 => Convert.FromHexString("3051300d060960864801650304020a05000440"),
            _ => null,
        };
        if (prefix is null)
            return false;
        var modulus = new System.Numerics.BigInteger(n, isUnsigned: true, isBigEndian: true);
        var exponent = new System.Numerics.BigInteger(e, isUnsigned: true, isBigEndian: true);
        var sigInt = new System.Numerics.BigInteger(signature, isUnsigned: true, isBigEndian: true);
        if (sigInt >= modulus || modulus.IsZero)
            return false;
        byte[] em = System.Numerics.BigInteger.ModPow(sigInt, exponent, modulus).ToByteArray(isUnsigned: true, isBigEndian: true);
        int tLen = prefix.Length + digest.Length;
        if (n.Length < tLen + 11)
            return false;
        byte[] expected = new byte[n.Length];
        expected[1] = 0x01;
        expected.AsSpan(2, n.Length - tLen - 3).Fill(0xFF);
        prefix.CopyTo(expected.AsSpan(n.Length - tLen));
        digest.CopyTo(expected.AsSpan(n.Length - digest.Length));
        byte[] actual = new byte[n.Length];
        if (em.Length > n.Length)
            return false;
        em.CopyTo(actual.AsSpan(n.Length - em.Length));
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool VerifyEcdsa(CurveInfo? curve, ReadOnlySpan<byte> point, ReadOnlySpan<byte> r, ReadOnlySpan<byte> s, byte[] digest)
    {
        if (curve is not { Weierstrass: { } nist } || !curve.IsWellFormedPoint(point))
            return false;
        int size = curve.FieldOctets;
        if (r.Length > size || s.Length > size)
            return false;

        // NIST curves through .NET.
        if (curve.Id is EllipticCurve.NistP256 or EllipticCurve.NistP384 or EllipticCurve.NistP521)
        {
            using var ecdsa = ECDsa.Create(new ECParameters
            {
                Curve = nist,
                Q = new ECPoint { X = point.Slice(1, size).ToArray(), Y = point.Slice(1 + size, size).ToArray() },
            });
            byte[] sig = new byte[2 * size];
            r.CopyTo(sig.AsSpan(size - r.Length));
            s.CopyTo(sig.AsSpan((2 * size) - s.Length));
            return ecdsa.VerifyHash(digest, sig);
        }

        // The rest are the brainpool curves, whose table names are BouncyCastle's names too.
        var x9 = TeleTrusTNamedCurves.GetByName(curve.Name);
        var domain = new ECDomainParameters(x9.Curve, x9.G, x9.N, x9.H);
        var q = x9.Curve.DecodePoint(point.ToArray());
        var signer = new ECDsaSigner();
        signer.Init(false, new ECPublicKeyParameters(q, domain));
        return signer.VerifySignature(digest, Big(r), Big(s));
    }

    private static BcBigInteger Big(ReadOnlySpan<byte> magnitude) => new(1, magnitude.ToArray());
}
