using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// The body of a Public-Key or Public-Subkey packet (RFC 9580 section 5.5.2), version 4 or 6,
/// with its fingerprint and key id. The algorithm-specific public key material is kept as raw
/// bytes: the verifier and the session-key encryptor each read the fields they need from it.
/// </summary>
public sealed class PublicKeyPacket
{
    private readonly byte[] _body;

    private PublicKeyPacket(byte[] body, int version, DateTimeOffset created, PublicKeyAlgorithm algorithm, int materialOffset, int materialLength)
    {
        _body = body;
        Version = version;
        Created = created;
        Algorithm = algorithm;
        KeyMaterial = new ReadOnlyMemory<byte>(body, materialOffset, materialLength);
        Fingerprint = ComputeFingerprint(version, body);
        KeyId = version == 4
            ? BinaryPrimitives.ReadUInt64BigEndian(Fingerprint.AsSpan(Fingerprint.Length - 8))
            : BinaryPrimitives.ReadUInt64BigEndian(Fingerprint.AsSpan(0, 8));
    }

    /// <summary>Key packet version: 4 (RFC 4880) or 6 (RFC 9580).</summary>
    public int Version { get; }

    /// <summary>Key creation time.</summary>
    public DateTimeOffset Created { get; }

    /// <summary>Public-key algorithm.</summary>
    public PublicKeyAlgorithm Algorithm { get; }

    /// <summary>The algorithm-specific fields (MPIs, OIDs, native octet strings), exactly as in the packet.</summary>
    public ReadOnlyMemory<byte> KeyMaterial { get; }

    /// <summary>The whole packet body as read; hashed into signatures and fingerprints.</summary>
    public ReadOnlySpan<byte> Body => _body;

    /// <summary>v4: SHA-1 (20 bytes); v6: SHA-256 (32 bytes).</summary>
    public byte[] Fingerprint { get; }

    /// <summary>v4: the low 64 bits of the fingerprint; v6: the high 64 bits.</summary>
    public ulong KeyId { get; }

    /// <summary>The fingerprint as upper-case hex, the form gpg prints.</summary>
    public string FingerprintHex => Convert.ToHexString(Fingerprint);

    /// <summary>The key id as 16 upper-case hex digits.</summary>
    public string KeyIdHex => KeyId.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Parses a Public-Key or Public-Subkey packet body.</summary>
    /// <exception cref="OpenPgpFormatException">The body is not a v4 or v6 key packet.</exception>
    public static PublicKeyPacket Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < 6)
            throw new OpenPgpFormatException("key packet is shorter than its fixed fields");
        int version = body[0];
        var created = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(body[1..5]));
        var algorithm = (PublicKeyAlgorithm)body[5];
        switch (version)
        {
            case 4:
                return new PublicKeyPacket(body.ToArray(), 4, created, algorithm, 6, body.Length - 6);
            case 6:
                if (body.Length < 10)
                    throw new OpenPgpFormatException("v6 key packet is shorter than its fixed fields");
                uint count = BinaryPrimitives.ReadUInt32BigEndian(body[6..10]);
                if (count != (uint)(body.Length - 10))
                    throw new OpenPgpFormatException($"v6 key packet says {count} octets of key material but has {body.Length - 10}");
                return new PublicKeyPacket(body.ToArray(), 6, created, algorithm, 10, body.Length - 10);
            default:
                throw new OpenPgpFormatException($"key packet version {version} is not supported (only 4 and 6)");
        }
    }

    /// <summary>
    /// RFC 9580 section 5.5.4: SHA-1 (v4) or SHA-256 (v6) over the framed key body. BouncyCastle's
    /// digests, not .NET's: see <see cref="SignatureHasher"/> for why (a few hundred octets here).
    /// </summary>
    private static byte[] ComputeFingerprint(int version, byte[] body)
    {
        Org.BouncyCastle.Crypto.IDigest digest;
        Span<byte> prefix = stackalloc byte[5];
        if (version == 4)
        {
            digest = new Org.BouncyCastle.Crypto.Digests.Sha1Digest();
            prefix[0] = 0x99;
            BinaryPrimitives.WriteUInt16BigEndian(prefix[1..], (ushort)body.Length);
            prefix = prefix[..3];
        }
        else
        {
            digest = new Org.BouncyCastle.Crypto.Digests.Sha256Digest();
            prefix[0] = 0x9B;
            BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)body.Length);
        }

        digest.BlockUpdate(prefix);
        digest.BlockUpdate(body);
        var fingerprint = new byte[digest.GetDigestSize()];
        digest.DoFinal(fingerprint);
        return fingerprint;
    }
}
