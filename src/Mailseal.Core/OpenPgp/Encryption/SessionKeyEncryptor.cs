using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// Builds Public-Key Encrypted Session Key packet bodies (RFC 9580 section 5.1): v3 (key id,
/// for SEIPD v1) and v6 (key version and fingerprint, for SEIPD v2), for every public-key
/// algorithm that can encrypt: RSA, ElGamal, ECDH (NIST, brainpool, Curve25519Legacy), X25519, X448.
/// </summary>
internal static class SessionKeyEncryptor
{
    /// <summary>RFC 6637 section 8: the fixed 20-octet sender name in the ECDH KDF parameters.</summary>
    private static readonly byte[] AnonymousSender = Encoding.ASCII.GetBytes("Anonymous Sender    ");

    private static readonly byte[] X25519Info = Encoding.ASCII.GetBytes("OpenPGP X25519");
    private static readonly byte[] X448Info = Encoding.ASCII.GetBytes("OpenPGP X448");

    /// <summary>Returns the whole PKESK packet body for one recipient.</summary>
    /// <param name="key">The recipient's encryption (sub)key.</param>
    /// <param name="sessionKey">The session key.</param>
    /// <param name="cipher">The session key's algorithm.</param>
    /// <param name="version">3 (for SEIPD v1) or 6 (for SEIPD v2).</param>
    public static byte[] BuildPkesk(PublicKeyPacket key, ReadOnlySpan<byte> sessionKey, SymmetricAlgorithm cipher, int version)
    {
        using var body = new MemoryStream();
        body.WriteByte((byte)version);
        if (version == 3)
        {
            Span<byte> keyId = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(keyId, key.KeyId);
            body.Write(keyId);
        }
        else if (version == 6)
        {
            body.WriteByte((byte)(1 + key.Fingerprint.Length));
            body.WriteByte((byte)key.Version);
            body.Write(key.Fingerprint);
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "PKESK version must be 3 or 6");
        }

        body.WriteByte((byte)key.Algorithm);
        body.Write(EncryptFields(key, sessionKey, cipher, version));
        return body.ToArray();
    }

    /// <summary>The algorithm-specific fields of a PKESK: the encrypted session key.</summary>
    internal static byte[] EncryptFields(PublicKeyPacket key, ReadOnlySpan<byte> sessionKey, SymmetricAlgorithm cipher, int version)
    {
        return key.Algorithm switch
        {
            PublicKeyAlgorithm.Rsa or PublicKeyAlgorithm.RsaEncryptOnly => EncryptRsa(key, PrefixedWithChecksum(sessionKey, cipher, version)),
            PublicKeyAlgorithm.ElGamal => EncryptElGamal(key, PrefixedWithChecksum(sessionKey, cipher, version)),
            PublicKeyAlgorithm.Ecdh => EncryptEcdh(key, PrefixedWithChecksum(sessionKey, cipher, version)),
            PublicKeyAlgorithm.X25519 => EncryptX25519(key, sessionKey, cipher, version),
            PublicKeyAlgorithm.X448 => EncryptX448(key, sessionKey, cipher, version),
            PublicKeyAlgorithm.RsaSignOnly or PublicKeyAlgorithm.Dsa or PublicKeyAlgorithm.Ecdsa or PublicKeyAlgorithm.EdDsaLegacy
                or PublicKeyAlgorithm.Ed25519 or PublicKeyAlgorithm.Ed448 =>
                throw new OpenPgpFormatException($"key 0x{key.KeyIdHex} uses {key.Algorithm}, a signing-only algorithm: it cannot receive encrypted mail"),
            PublicKeyAlgorithm.ElGamalEncryptOrSign =>
                throw new OpenPgpFormatException($"key 0x{key.KeyIdHex} uses the obsolete ElGamal encrypt-or-sign algorithm (20), which no current OpenPGP software accepts"),
            _ => throw new OpenPgpFormatException($"key 0x{key.KeyIdHex} uses public-key algorithm {(int)key.Algorithm}, which Mailseal cannot encrypt to"),
        };
    }

    /// <summary>
    /// RFC 9580 section 5.1.3: for RSA, ElGamal and ECDH the encrypted value is the session key
    /// (after its one-octet algorithm id in a v3 PKESK only) followed by a two-octet checksum,
    /// the sum of the key octets modulo 65536.
    /// </summary>
    internal static byte[] PrefixedWithChecksum(ReadOnlySpan<byte> sessionKey, SymmetricAlgorithm cipher, int version)
    {
        int prefix = version == 3 ? 1 : 0;
        var m = new byte[prefix + sessionKey.Length + 2];
        if (prefix == 1)
            m[0] = (byte)cipher;
        sessionKey.CopyTo(m.AsSpan(prefix));
        ushort sum = 0;
        foreach (byte b in sessionKey)
            sum += b;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(prefix + sessionKey.Length), sum);
        return m;
    }

    private static byte[] EncryptRsa(PublicKeyPacket key, byte[] m)
    {
        var reader = new KeyMaterialReader(key);
        var n = reader.ReadMpi("RSA modulus n").ToArray();
        var e = reader.ReadMpi("RSA exponent e").ToArray();
        if (n.Length < 64)
            throw reader.Malformed($"RSA modulus of {n.Length * 8} bits is too short to encrypt to");
        if (m.Length > n.Length - 11)
            throw reader.Malformed("RSA modulus is too short for the session key");

        byte[] c;
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportParameters(new RSAParameters { Modulus = n, Exponent = e });
            c = rsa.Encrypt(m, RSAEncryptionPadding.Pkcs1);
        }
        catch (CryptographicException ex)
        {
            throw new OpenPgpFormatException($"key 0x{key.KeyIdHex}: the RSA public key is not usable ({ex.Message})", ex);
        }

        using var fields = new MemoryStream();
        PacketWriter.WriteMpi(fields, c);
        return fields.ToArray();
    }

    private static byte[] EncryptElGamal(PublicKeyPacket key, byte[] m)
    {
        // BouncyCastle's BigInteger: its Montgomery ModPow is many times faster than System.Numerics'.
        var reader = new KeyMaterialReader(key);
        var pBytes = reader.ReadMpi("ElGamal prime p");
        var p = new BcBigInteger(1, pBytes.ToArray());
        var g = new BcBigInteger(1, reader.ReadMpi("ElGamal generator g").ToArray());
        var y = new BcBigInteger(1, reader.ReadMpi("ElGamal public value y").ToArray());
        int k = pBytes.Length;
        if (k < 128)
            throw reader.Malformed($"ElGamal prime of {k * 8} bits is too short to encrypt to");
        var pMinusOne = p.Subtract(BcBigInteger.One);
        if (!p.TestBit(0) || g.CompareTo(BcBigInteger.One) <= 0 || g.CompareTo(pMinusOne) >= 0 || y.CompareTo(BcBigInteger.One) <= 0 || y.CompareTo(p) >= 0)
            throw reader.Malformed("ElGamal parameters are out of range");

        // EME-PKCS1-v1_5 (RFC 8017 section 7.2.1): 00 02 PS 00 M, PS non-zero random, at least 8 octets.
        var em = new byte[k];
        em[1] = 2;
        int psLength = k - 3 - m.Length;
        if (psLength < 8)
            throw reader.Malformed("ElGamal prime is too short for the session key");
        FillNonZero(em.AsSpan(2, psLength));
        m.CopyTo(em.AsSpan(k - m.Length));
        var message = new BcBigInteger(1, em);
        CryptographicOperations.ZeroMemory(em);

        // The ephemeral exponent: uniform in [1, p-2].
        var exponentBytes = KernelRandom.GetBytes(k + 8);
        var x = new BcBigInteger(1, exponentBytes).Mod(p.Subtract(BcBigInteger.Two)).Add(BcBigInteger.One);
        CryptographicOperations.ZeroMemory(exponentBytes);
        var c1 = g.ModPow(x, p);
        var c2 = message.Multiply(y.ModPow(x, p)).Mod(p);

        using var fields = new MemoryStream();
        PacketWriter.WriteMpi(fields, c1.ToByteArrayUnsigned());
        PacketWriter.WriteMpi(fields, c2.ToByteArrayUnsigned());
        return fields.ToArray();
    }

    private static void FillNonZero(Span<byte> destination)
    {
        KernelRandom.Fill(destination);
        Span<byte> one = stackalloc byte[1];
        for (int i = 0; i < destination.Length; i++)
        {
            while (destination[i] == 0)
            {
                KernelRandom.Fill(one);
                destination[i] = one[0];
            }
        }
    }

    private static byte[] EncryptEcdh(PublicKeyPacket key, byte[] m)
    {
        var reader = new KeyMaterialReader(key);
        var oid = reader.ReadOid();
        // Ed25519Legacy is a signing curve: ECDH on it is as unsupported as an unknown OID.
        var curve = CurveOids.Find(oid) is { Id: not EllipticCurve.Ed25519Legacy } known
            ? known
            : throw new OpenPgpFormatException($"key 0x{key.KeyIdHex} is an ECDH key on curve {CurveOids.DottedOid(oid)}, which Mailseal does not support");
        var point = reader.ReadMpi("ECDH public point");
        int kdfLength = reader.ReadByte("KDF parameters length");
        if (kdfLength != 3)
            throw reader.Malformed($"KDF parameters are {kdfLength} octets, expected 3");
        if (reader.ReadByte("KDF parameters") != 1)
            throw reader.Malformed("KDF parameters have an unknown version");
        var kdfHash = (HashAlgorithm)reader.ReadByte("KDF hash");
        var kek = (SymmetricAlgorithm)reader.ReadByte("KDF key-wrap algorithm");
        // BouncyCastle's digests, as for every hash over key material (see SignatureHasher).
        Org.BouncyCastle.Crypto.IDigest hash = kdfHash switch
        {
            HashAlgorithm.Sha256 => new Org.BouncyCastle.Crypto.Digests.Sha256Digest(),
            HashAlgorithm.Sha384 => new Org.BouncyCastle.Crypto.Digests.Sha384Digest(),
            HashAlgorithm.Sha512 => new Org.BouncyCastle.Crypto.Digests.Sha512Digest(),
            _ => throw new OpenPgpFormatException($"key 0x{key.KeyIdHex}: ECDH KDF hash {kdfHash} is not allowed (SHA2-256, -384 or -512)"),
        };
        int kekLength = kek switch
        {
            SymmetricAlgorithm.Aes128 => 16,
            SymmetricAlgorithm.Aes192 => 24,
            SymmetricAlgorithm.Aes256 => 32,
            _ => throw new OpenPgpFormatException($"key 0x{key.KeyIdHex}: ECDH key-wrap algorithm {kek} is not allowed (AES-128, -192 or -256)"),
        };

        byte[] ephemeralPoint;
        byte[] shared;
        if (curve.Weierstrass is { } ecCurve)
            (ephemeralPoint, shared) = AgreeWeierstrass(key, curve, ecCurve, point);
        else
            (ephemeralPoint, shared) = AgreeCurve25519Legacy(key, curve, point);

        // RFC 9580 section 11.5 / RFC 6637 section 7: the KDF parameters.
        using var param = new MemoryStream();
        param.WriteByte((byte)oid.Length);
        param.Write(oid);
        param.WriteByte((byte)PublicKeyAlgorithm.Ecdh);
        param.Write([3, 1, (byte)kdfHash, (byte)kek]);
        param.Write(AnonymousSender);
        param.Write(key.Fingerprint);

        hash.BlockUpdate([0, 0, 0, 1]);
        hash.BlockUpdate(shared);
        hash.BlockUpdate(param.GetBuffer(), 0, (int)param.Length);
        var digest = new byte[hash.GetDigestSize()];
        hash.DoFinal(digest);
        CryptographicOperations.ZeroMemory(shared);
        var kekBytes = digest.AsSpan(0, kekLength).ToArray();
        CryptographicOperations.ZeroMemory(digest);

        // RFC 9580 section 11.5: PKCS#5 padding to a multiple of 8 octets before the key wrap.
        int padded = ((m.Length / 8) + 1) * 8;
        var toWrap = new byte[padded];
        m.CopyTo(toWrap, 0);
        toWrap.AsSpan(m.Length).Fill((byte)(padded - m.Length));
        var wrapped = AesWrap(kekBytes, toWrap);
        CryptographicOperations.ZeroMemory(toWrap);
        CryptographicOperations.ZeroMemory(kekBytes);

        using var fields = new MemoryStream();
        PacketWriter.WriteMpi(fields, ephemeralPoint);
        fields.WriteByte((byte)wrapped.Length);
        fields.Write(wrapped);
        return fields.ToArray();
    }

    private static (byte[] EphemeralPoint, byte[] Shared) AgreeWeierstrass(PublicKeyPacket key, CurveInfo curve, ECCurve ecCurve, ReadOnlySpan<byte> point)
    {
        int n = curve.FieldOctets;
        if (!curve.IsWellFormedPoint(point))
            throw new OpenPgpFormatException($"key 0x{key.KeyIdHex} has malformed key material: the {curve.Name} point is not an uncompressed point of {1 + (2 * n)} octets");
        try
        {
            using var recipient = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ecCurve,
                Q = new ECPoint { X = point.Slice(1, n).ToArray(), Y = point.Slice(1 + n, n).ToArray() },
            });
            using var ephemeral = ECDiffieHellman.Create(ecCurve);
            var shared = ephemeral.DeriveRawSecretAgreement(recipient.PublicKey);
            var q = ephemeral.ExportParameters(false).Q;
            var encoded = new byte[1 + (2 * n)];
            encoded[0] = 0x04;
            q.X!.CopyTo(encoded.AsSpan(1 + n - q.X!.Length));
            q.Y!.CopyTo(encoded.AsSpan(1 + (2 * n) - q.Y!.Length));
            return (encoded, shared);
        }
        catch (CryptographicException ex)
        {
            throw new OpenPgpFormatException($"key 0x{key.KeyIdHex}: the {curve.Name} public point is not usable ({ex.Message})", ex);
        }
        catch (PlatformNotSupportedException ex)
        {
            throw new OpenPgpFormatException($"key 0x{key.KeyIdHex}: curve {curve.Name} is not available on this system", ex);
        }
    }

    private static (byte[] EphemeralPoint, byte[] Shared) AgreeCurve25519Legacy(PublicKeyPacket key, CurveInfo curve, ReadOnlySpan<byte> point)
    {
        // The native encoding: 0x40 then the 32-octet little-endian u coordinate (RFC 9580 section 11.2.2).
        if (!curve.IsWellFormedPoint(point))
            throw new OpenPgpFormatException($"key 0x{key.KeyIdHex} has malformed key material: the Curve25519Legacy point is not 0x40 followed by 32 octets");
        var (ephemeralPublic, shared) = X25519Agree(key, point[1..]);
        var encoded = new byte[33];
        encoded[0] = 0x40;
        ephemeralPublic.CopyTo(encoded, 1);
        return (encoded, shared);
    }

    /// <summary>
    /// An ephemeral X25519 agreement with <paramref name="recipientPublic"/> (RFC 7748 section 6.1).
    /// Done with BouncyCastle's static RFC 7748 functions: both the ephemeral public key and the
    /// shared secret by the Montgomery ladder. Its key-parameter classes would seed a
    /// <see cref="Org.BouncyCastle.Security.SecureRandom"/> (which registers every digest name
    /// BouncyCastle knows) and compute the public key through the Ed25519 base-point tables, ~10 ms
    /// of set-up in a process that encrypts one message.
    /// </summary>
    private static (byte[] EphemeralPublic, byte[] Shared) X25519Agree(PublicKeyPacket key, ReadOnlySpan<byte> recipientPublic)
    {
        var ephemeralSecret = KernelRandom.GetBytes(Org.BouncyCastle.Math.EC.Rfc7748.X25519.ScalarSize);
        var basePoint = new byte[Org.BouncyCastle.Math.EC.Rfc7748.X25519.PointSize];
        basePoint[0] = 9;
        var ephemeralPublic = new byte[Org.BouncyCastle.Math.EC.Rfc7748.X25519.PointSize];
        var shared = new byte[Org.BouncyCastle.Math.EC.Rfc7748.X25519.PointSize];
        try
        {
            Org.BouncyCastle.Math.EC.Rfc7748.X25519.ScalarMult(ephemeralSecret, 0, basePoint, 0, ephemeralPublic, 0);
            if (!Org.BouncyCastle.Math.EC.Rfc7748.X25519.CalculateAgreement(ephemeralSecret, 0, recipientPublic.ToArray(), 0, shared, 0))
                throw new OpenPgpFormatException($"key 0x{key.KeyIdHex}: the X25519 public key is a low-order point");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ephemeralSecret);
        }

        return (ephemeralPublic, shared);
    }

    /// <summary>
    /// An ephemeral X448 agreement (RFC 7748 section 6.2), by the Montgomery ladder for the same
    /// reason as <see cref="X25519Agree"/>.
    /// </summary>
    private static (byte[] EphemeralPublic, byte[] Shared) X448Agree(PublicKeyPacket key, ReadOnlySpan<byte> recipientPublic)
    {
        var ephemeralSecret = KernelRandom.GetBytes(Org.BouncyCastle.Math.EC.Rfc7748.X448.ScalarSize);
        var basePoint = new byte[Org.BouncyCastle.Math.EC.Rfc7748.X448.PointSize];
        basePoint[0] = 5;
        var ephemeralPublic = new byte[Org.BouncyCastle.Math.EC.Rfc7748.X448.PointSize];
        var shared = new byte[Org.BouncyCastle.Math.EC.Rfc7748.X448.PointSize];
        try
        {
            Org.BouncyCastle.Math.EC.Rfc7748.X448.ScalarMult(ephemeralSecret, 0, basePoint, 0, ephemeralPublic, 0);
            if (!Org.BouncyCastle.Math.EC.Rfc7748.X448.CalculateAgreement(ephemeralSecret, 0, recipientPublic.ToArray(), 0, shared, 0))
                throw new OpenPgpFormatException($"key 0x{key.KeyIdHex}: the X448 public key is a low-order point");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ephemeralSecret);
        }

        return (ephemeralPublic, shared);
    }

    private static byte[] EncryptX25519(PublicKeyPacket key, ReadOnlySpan<byte> sessionKey, SymmetricAlgorithm cipher, int version)
    {
        var reader = new KeyMaterialReader(key);
        var recipientPublic = reader.ReadFixed(KeyMaterialCheck.NativeKeyLength(PublicKeyAlgorithm.X25519), "X25519 public key");
        var (ephemeralPublic, shared) = X25519Agree(key, recipientPublic);
        return NativeFields(ephemeralPublic, recipientPublic, shared, new Org.BouncyCastle.Crypto.Digests.Sha256Digest(), X25519Info, 16, sessionKey, cipher, version);
    }

    private static byte[] EncryptX448(PublicKeyPacket key, ReadOnlySpan<byte> sessionKey, SymmetricAlgorithm cipher, int version)
    {
        var reader = new KeyMaterialReader(key);
        var recipientPublic = reader.ReadFixed(KeyMaterialCheck.NativeKeyLength(PublicKeyAlgorithm.X448), "X448 public key");
        var (ephemeralPublic, shared) = X448Agree(key, recipientPublic);
        return NativeFields(ephemeralPublic, recipientPublic, shared, new Org.BouncyCastle.Crypto.Digests.Sha512Digest(), X448Info, 32, sessionKey, cipher, version);
    }

    /// <summary>
    /// RFC 9580 sections 5.1.6 and 5.1.7: the key-encryption key is HKDF over ephemeral public ||
    /// recipient public || shared secret with the algorithm's info string; the session key is
    /// AES-key-wrapped as it is (no algorithm octet, no checksum). In a v3 PKESK the session key's
    /// algorithm octet travels in the clear, before the wrapped key, and is counted in the size octet.
    /// </summary>
    private static byte[] NativeFields(byte[] ephemeralPublic, ReadOnlySpan<byte> recipientPublic, byte[] shared, Org.BouncyCastle.Crypto.IDigest hash, byte[] info, int kekLength, ReadOnlySpan<byte> sessionKey, SymmetricAlgorithm cipher, int version)
    {
        var ikm = new byte[ephemeralPublic.Length + recipientPublic.Length + shared.Length];
        ephemeralPublic.CopyTo(ikm, 0);
        recipientPublic.CopyTo(ikm.AsSpan(ephemeralPublic.Length));
        shared.CopyTo(ikm, ephemeralPublic.Length + recipientPublic.Length);
        CryptographicOperations.ZeroMemory(shared);
        var kek = Hkdf.DeriveKey(hash, ikm, kekLength, salt: [], info: info);
        CryptographicOperations.ZeroMemory(ikm);
        var wrapped = AesWrap(kek, sessionKey.ToArray());
        CryptographicOperations.ZeroMemory(kek);

        using var fields = new MemoryStream();
        fields.Write(ephemeralPublic);
        if (version == 3)
        {
            fields.WriteByte((byte)(wrapped.Length + 1));
            fields.WriteByte((byte)cipher);
        }
        else
        {
            fields.WriteByte((byte)wrapped.Length);
        }

        fields.Write(wrapped);
        return fields.ToArray();
    }

    /// <summary>AES key wrap (RFC 3394) with the default IV.</summary>
    internal static byte[] AesWrap(byte[] kek, byte[] plaintext)
    {
        var engine = new AesWrapEngine();
        engine.Init(true, new KeyParameter(kek));
        return engine.Wrap(plaintext, 0, plaintext.Length);
    }
}
