using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Incremental hash for signature verification: .NET for SHA-1 and SHA-2 (256/384/512),
/// BouncyCastle's digests for SHA-224 and SHA3 (which .NET lacks or supports only with some
/// OpenSSL builds). MD5 and RIPEMD-160 are refused.
/// </summary>
internal sealed class SignatureHasher : IDisposable
{
    private readonly IncrementalHash? _net;
    private readonly IDigest? _bc;

    private SignatureHasher(IncrementalHash? net, IDigest? bc)
    {
        _net = net;
        _bc = bc;
    }

    /// <summary>Creates a hasher, or returns null with a reason for a refused or unknown algorithm.</summary>
    public static SignatureHasher? Create(HashAlgorithm algorithm, out string? problem)
    {
        problem = null;
        switch (algorithm)
        {
            case HashAlgorithm.Sha1: return new SignatureHasher(IncrementalHash.CreateHash(HashAlgorithmName.SHA1), null);
            case HashAlgorithm.Sha256: return new SignatureHasher(IncrementalHash.CreateHash(HashAlgorithmName.SHA256), null);
            case HashAlgorithm.Sha384: return new SignatureHasher(IncrementalHash.CreateHash(HashAlgorithmName.SHA384), null);
            case HashAlgorithm.Sha512: return new SignatureHasher(IncrementalHash.CreateHash(HashAlgorithmName.SHA512), null);
            case HashAlgorithm.Sha224: return new SignatureHasher(null, new Sha224Digest());
            case HashAlgorithm.Sha3_256: return new SignatureHasher(null, new Sha3Digest(256));
            case HashAlgorithm.Sha3_512: return new SignatureHasher(null, new Sha3Digest(512));
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

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_net is not null)
        {
            _net.AppendData(data);
            return;
        }

        _bc!.BlockUpdate(data.ToArray(), 0, data.Length);
    }

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
        if (_net is not null)
            return _net.GetHashAndReset();
        var output = new byte[_bc!.GetDigestSize()];
        _bc.DoFinal(output, 0);
        return output;
    }

    public void Dispose() => _net?.Dispose();
}
