using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// HKDF (RFC 5869) on BouncyCastle's managed digests, for the few octets RFC 9580 derives with it
/// (X25519/X448 key-encryption keys, SEIPD v2 message keys). Not .NET's HKDF: on Linux it loads
/// OpenSSL, ~6 ms in a process that encrypts one message (see <see cref="SignatureHasher"/>).
/// </summary>
internal static class Hkdf
{
    /// <summary>Derives <paramref name="length"/> octets; an empty salt is a salt of zeros, as RFC 5869 says.</summary>
    public static byte[] DeriveKey(IDigest digest, byte[] inputKeyMaterial, int length, byte[] salt, byte[] info)
    {
        var generator = new HkdfBytesGenerator(digest);
        generator.Init(new HkdfParameters(inputKeyMaterial, salt, info));
        var output = new byte[length];
        generator.GenerateBytes(output, 0, length);
        return output;
    }
}
