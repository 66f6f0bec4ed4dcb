using System.Buffers.Binary;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Incremental hash for signature verification, on BouncyCastle's managed digests. What is hashed
/// here is key material, user ids and signature trailers (a few kilobytes), where .NET's hashes
/// would cost more than they save: on Linux they load OpenSSL (libssl, libcrypto and its
/// configuration: ~6 ms and ~200 page faults), once in every process that encrypts one message.
/// MD5 and RIPEMD-160 are refused.
/// </summary>
internal sealed class SignatureHasher
{
    private readonly IDigest _digest;

    private SignatureHasher(IDigest digest) => _digest = digest;

    /// <summary>Creates a hasher, or returns null with a reason for a refused or unknown algorithm.</summary>
    public static SignatureHasher? Create(HashAlgorithm algorithm, out string? problem)
    {
        problem = null;
        switch (algorithm)
        {
            case HashAlgorithm.Sha1: return new SignatureHasher(new Sha1Digest());
            case HashAlgorithm.Sha256: return new SignatureHasher(new Sha256Digest());
            case HashAlgorithm.Sha384: return new SignatureHasher(new Sha384Digest());
            case HashAlgorithm.Sha512: return new SignatureHasher(new Sha512Digest());
            case HashAlgorithm.Sha224: return new SignatureHasher(new Sha224Digest());
            case HashAlgorithm.Sha3_256: return new SignatureHasher(new Sha3Digest(256));
            case HashAlgorithm.Sha3_512: return new SignatureHasher(new Sha3Digest(512));
            case HashAlgorithm.Md5:
                problem = "uses the broken hash MD5";
                return null;
            default:
                problem = $"uses the unsupported hash algorithm {(int)algorithm}";
                return null;
        }
    }

    /// <summary>The v6 salt size RFC 9580 (section 9.5) fixes for a hash, or -1.</summary>
    public static int V6SaltSize(HashAlgorithm algorithm) => algorithm switch
    {
        HashAlgorithm.Sha256 or HashAlgorithm.Sha224 or HashAlgorithm.Sha3_256 => 16,
        HashAlgorithm.Sha384 => 24,
        HashAlgorithm.Sha512 or HashAlgorithm.Sha3_512 => 32,
        _ => -1,
    };

    public void Append(ReadOnlySpan<byte> data) => _digest.BlockUpdate(data);

    /// <summary>Hashes a key packet body as signatures see it: 0x99 + 2-octet length (v4) or 0x9B + 4-octet length (v6).</summary>
    public void AppendKey(PublicKeyPacket key)
    {
        if (key.Version == 6)
        {
            Span<byte> prefix = stackalloc byte[5];
            prefix[0] = 0x9B;
            BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)key.Body.Length);
            Append(prefix);
        }
        else
        {
            Span<byte> prefix = stackalloc byte[3];
            prefix[0] = 0x99;
            BinaryPrimitives.WriteUInt16BigEndian(prefix[1..], (ushort)key.Body.Length);
            Append(prefix);
        }

        Append(key.Body);
    }

    /// <summary>Hashes a user id (0xB4) or user attribute (0xD1) with its 4-octet length.</summary>
    public void AppendUserPacket(byte prefixOctet, ReadOnlySpan<byte> body)
    {
        Span<byte> prefix = stackalloc byte[5];
        prefix[0] = prefixOctet;
        BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)body.Length);
        Append(prefix);
        Append(body);
    }

    public byte[] Finish()
    {
        var output = new byte[_digest.GetDigestSize()];
        _digest.DoFinal(output);
        return output;
    }
}
