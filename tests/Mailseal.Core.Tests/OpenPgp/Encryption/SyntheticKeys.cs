using System.Buffers.Binary;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>Hand-built key packets for tests that need a key of a given shape, not a real oracle key.</summary>
public static class SyntheticKeys
{
    /// <summary>A v4 or v6 key packet with the given algorithm and raw key material.</summary>
    public static PublicKeyPacket Key(PublicKeyAlgorithm algorithm, byte[] material, int version = 4)
    {
        var body = new List<byte> { (byte)version, 0x65, 0x00, 0x00, 0x00, (byte)algorithm };
        if (version == 6)
        {
            var count = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(count, (uint)material.Length);
            body.AddRange(count);
        }

        body.AddRange(material);
        return PublicKeyPacket.Parse(body.ToArray());
    }

    /// <summary>A valid-looking X25519 (algorithm 25) key: a real public value.</summary>
    public static PublicKeyPacket X25519(int version = 4)
    {
        var priv = new Org.BouncyCastle.Crypto.Parameters.X25519PrivateKeyParameters(new Org.BouncyCastle.Security.SecureRandom());
        return Key(PublicKeyAlgorithm.X25519, priv.GeneratePublicKey().GetEncoded(), version);
    }

    /// <summary>A recipient around a key, with the given preferences.</summary>
    public static EncryptionRecipient Recipient(
        PublicKeyPacket key,
        SymmetricAlgorithm[] symmetric,
        (SymmetricAlgorithm, AeadAlgorithm)[]? aead = null,
        bool seipdV2 = false) =>
        new(key, key.Fingerprint, symmetric, aead ?? [], seipdV2);
}
