using System.Buffers.Binary;
using System.Security.Cryptography;
using Mailseal.Core.OpenPgp;
using HashAlgorithm = Mailseal.Core.OpenPgp.HashAlgorithm;
using Ed25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>
/// Builds certificates by hand for the cases no tool will produce on request (unknown critical
/// subpackets, MD5, missing key flags, revoked user ids, unknown packets). Signing is Ed25519
/// through BouncyCastle; the hashing here is written independently of Mailseal's verifier,
/// from RFC 9580 section 5.2.4.
/// </summary>
internal sealed class CraftedKey
{
    private static readonly byte[] Ed25519LegacyOid = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];
    private static readonly byte[] Curve25519LegacyOid = [0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01];

    private readonly byte[] _secret;

    private CraftedKey(byte[] body, byte[] secret, int version)
    {
        Body = body;
        _secret = secret;
        Version = version;
        Packet = PublicKeyPacket.Parse(body);
    }

    public byte[] Body { get; }

    public int Version { get; }

    public PublicKeyPacket Packet { get; }

    public static DateTimeOffset T0 { get; } = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A v4 EdDSALegacy signing key.</summary>
    public static CraftedKey EdDsaV4(DateTimeOffset created)
    {
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        byte[] pub = new byte[32];
        Ed25519.GeneratePublicKey(secret, 0, pub, 0);
        byte[] body = [4, .. Time(created), 22, (byte)Ed25519LegacyOid.Length, .. Ed25519LegacyOid, 0x01, 0x07, 0x40, .. pub];
        return new CraftedKey(body, secret, 4);
    }

    /// <summary>A v6 Ed25519 signing key.</summary>
    public static CraftedKey Ed25519V6(DateTimeOffset created)
    {
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        byte[] pub = new byte[32];
        Ed25519.GeneratePublicKey(secret, 0, pub, 0);
        byte[] body = [6, .. Time(created), 27, 0, 0, 0, 32, .. pub];
        return new CraftedKey(body, secret, 6);
    }

    /// <summary>A v6 Ed448 signing key (57-octet key, 114-octet signatures, which RFC 9580 pairs with a 512-bit hash).</summary>
    public static CraftedKey Ed448V6(DateTimeOffset created)
    {
        byte[] secret = RandomNumberGenerator.GetBytes(57);
        byte[] pub = new byte[57];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed448.GeneratePublicKey(secret, 0, pub, 0);
        byte[] body = [6, .. Time(created), 28, 0, 0, 0, 57, .. pub];
        return new CraftedKey(body, secret, 6);
    }

    /// <summary>A v4 ECDH Curve25519Legacy encryption subkey body (public part only; never decrypted here).</summary>
    public static byte[] EcdhV4(DateTimeOffset created) =>
        [4, .. Time(created), 18, (byte)Curve25519LegacyOid.Length, .. Curve25519LegacyOid, 0x01, 0x07, 0x40, .. RandomNumberGenerator.GetBytes(32), 3, 1, 8, 9];

    /// <summary>A v6 X25519 encryption subkey body.</summary>
    public static byte[] X25519V6(DateTimeOffset created) => [6, .. Time(created), 25, 0, 0, 0, 32, .. RandomNumberGenerator.GetBytes(32)];

    public static byte[] Time(DateTimeOffset t)
    {
        byte[] b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)t.ToUnixTimeSeconds());
        return b;
    }

    /// <summary>One subpacket: length, type (with the critical bit), data.</summary>
    public static byte[] Sub(int type, byte[] data, bool critical = false) => [(byte)(data.Length + 1), (byte)(type | (critical ? 0x80 : 0)), .. data];

    public static byte[] Created(DateTimeOffset t) => Sub(2, Time(t));

    public static byte[] Flags(KeyFlags flags) => Sub(27, [(byte)flags]);

    public byte[] IssuerFingerprint() => Sub(33, [(byte)Version, .. Packet.Fingerprint]);

    /// <summary>
    /// Makes a signature packet (new format) of <paramref name="type"/> over the hash context
    /// (<paramref name="signedPrefix"/>: the key, user id and subkey material, already framed).
    /// </summary>
    public byte[] Sign(SignatureType type, byte[] signedPrefix, byte[] hashedSubpackets, HashAlgorithm hash = HashAlgorithm.Sha256, byte[]? unhashed = null)
    {
        unhashed ??= Version == 4 ? Sub(16, Packet.Fingerprint[^8..]) : [];
        byte algorithm = (byte)Packet.Algorithm;
        List<byte> hashed = [(byte)Version, (byte)type, algorithm, (byte)hash];
        if (Version == 4)
            hashed.AddRange(new byte[] { (byte)(hashedSubpackets.Length >> 8), (byte)hashedSubpackets.Length });
        else
            hashed.AddRange(Be32(hashedSubpackets.Length));
        hashed.AddRange(hashedSubpackets);
        byte[] salt = Version == 6 ? RandomNumberGenerator.GetBytes(hash is HashAlgorithm.Sha512 or HashAlgorithm.Sha3_512 ? 32 : 16) : [];
        byte[] trailer = [(byte)Version, 0xFF, .. Be32(hashed.Count)];
        byte[] toHash = [.. salt, .. signedPrefix, .. hashed, .. trailer];
        byte[] digest = hash switch
        {
            HashAlgorithm.Md5 => MD5.HashData(toHash),
            HashAlgorithm.Sha1 => SHA1.HashData(toHash),
            HashAlgorithm.Sha512 => SHA512.HashData(toHash),
            HashAlgorithm.Sha3_256 => Sha3(toHash, 256),
            HashAlgorithm.Sha3_512 => Sha3(toHash, 512),
            _ => SHA256.HashData(toHash),
        };
        byte[] sig;
        if (Packet.Algorithm == PublicKeyAlgorithm.Ed448)
        {
            sig = new byte[114];
            Org.BouncyCastle.Math.EC.Rfc8032.Ed448.Sign(_secret, 0, [], digest, 0, digest.Length, sig, 0);
        }
        else
        {
            sig = new byte[64];
            Ed25519.Sign(_secret, 0, digest, 0, digest.Length, sig, 0);
        }

        List<byte> body = [.. hashed];
        if (Version == 4)
            body.AddRange(new byte[] { (byte)(unhashed.Length >> 8), (byte)unhashed.Length });
        else
            body.AddRange(Be32(unhashed.Length));
        body.AddRange(unhashed);
        body.Add(digest[0]);
        body.Add(digest[1]);
        if (Version == 4)
        {
            body.AddRange(Mpi(sig[..32]));
            body.AddRange(Mpi(sig[32..]));
        }
        else
        {
            body.Add((byte)salt.Length);
            body.AddRange(salt);
            body.AddRange(sig);
        }

        return PacketBytes.New(2, body.ToArray());
    }

    /// <summary>The key as signatures hash it: 0x99 + 2-octet length (v4), 0x9B + 4-octet length (v6).</summary>
    public static byte[] KeyFrame(byte[] body, int version) => version == 4
        ? [0x99, (byte)(body.Length >> 8), (byte)body.Length, .. body]
        : [0x9B, .. Be32(body.Length), .. body];

    public static byte[] UserIdFrame(byte[] uid) => [0xB4, .. Be32(uid.Length), .. uid];

    private static byte[] Sha3(byte[] data, int bits)
    {
        var digest = new Org.BouncyCastle.Crypto.Digests.Sha3Digest(bits);
        digest.BlockUpdate(data, 0, data.Length);
        byte[] output = new byte[bits / 8];
        digest.DoFinal(output, 0);
        return output;
    }

    private static byte[] Be32(int v)
    {
        byte[] b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, v);
        return b;
    }

    private static byte[] Mpi(byte[] magnitude)
    {
        int skip = 0;
        while (skip < magnitude.Length - 1 && magnitude[skip] == 0)
            skip++;
        var m = magnitude[skip..];
        int bits = ((m.Length - 1) * 8) + (8 - System.Numerics.BitOperations.LeadingZeroCount((uint)m[0]) + 24);
        return [(byte)(bits >> 8), (byte)bits, .. m];
    }
}
