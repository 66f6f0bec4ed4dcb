using Mailseal.Core.OpenPgp;
using Org.BouncyCastle.Math.EC.Rfc8032;
using Org.BouncyCastle.Security;

namespace Mailseal.Core.Tests.OpenPgp;

public class EdDsaVerifierTests
{
    // RFC 8032 section 7.1, TEST 2 (one-octet message).
    private static readonly byte[] Rfc8032PublicKey = Convert.FromHexString("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    private static readonly byte[] Rfc8032Message = [0x72];
    private static readonly byte[] Rfc8032Signature = Convert.FromHexString(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");

    [Fact]
    public void Rfc8032_vector_verifies_here_and_in_libcrypto()
    {
        Assert.True(OpenSslEdDsa.Verify(OpenSslEdDsa.Ed25519, Rfc8032Signature, Rfc8032PublicKey, Rfc8032Message));
        Assert.True(Ed25519.Verify(Rfc8032Signature, 0, Rfc8032PublicKey, 0, Rfc8032Message, 0, 1));
        Assert.True(EdDsaVerifier.VerifyEd25519(Rfc8032Signature, Rfc8032PublicKey, Rfc8032Message));
        Assert.False(EdDsaVerifier.VerifyEd25519(Rfc8032Signature, Rfc8032PublicKey, [0x73]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(1000)]
    public void Ed25519_verification_agrees_with_libcrypto(int length)
    {
        var (publicKey, signature, message) = Signed(32, 64, length,
            (secret, publicKey) => Ed25519.GeneratePublicKey(secret, 0, publicKey, 0),
            (secret, message, signature) => Ed25519.Sign(secret, 0, message, 0, message.Length, signature, 0));

        Assert.True(OpenSslEdDsa.Verify(OpenSslEdDsa.Ed25519, signature, publicKey, message));
        Assert.True(EdDsaVerifier.VerifyEd25519(signature, publicKey, message));
        signature[10] ^= 1;
        Assert.False(OpenSslEdDsa.Verify(OpenSslEdDsa.Ed25519, signature, publicKey, message));
        Assert.False(EdDsaVerifier.VerifyEd25519(signature, publicKey, message));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(48)]
    [InlineData(777)]
    public void Ed448_verification_agrees_with_libcrypto(int length)
    {
        var (publicKey, signature, message) = Signed(57, 114, length,
            (secret, publicKey) => Ed448.GeneratePublicKey(secret, 0, publicKey, 0),
            (secret, message, signature) => Ed448.Sign(secret, 0, [], message, 0, message.Length, signature, 0));

        Assert.True(OpenSslEdDsa.Verify(OpenSslEdDsa.Ed448, signature, publicKey, message));
        Assert.True(EdDsaVerifier.VerifyEd448(signature, publicKey, message));
        if (length > 0)
        {
            message[0] ^= 0x80;
            Assert.False(OpenSslEdDsa.Verify(OpenSslEdDsa.Ed448, signature, publicKey, message));
            Assert.False(EdDsaVerifier.VerifyEd448(signature, publicKey, message));
        }
    }

    /// <summary>A random key pair and a random message of <paramref name="length"/> octets, signed with BouncyCastle.</summary>
    private static (byte[] PublicKey, byte[] Signature, byte[] Message) Signed(int keySize, int signatureSize, int length,
        Action<byte[], byte[]> derivePublicKey, Action<byte[], byte[], byte[]> sign)
    {
        var random = new SecureRandom();
        byte[] secret = new byte[keySize];
        random.NextBytes(secret);
        byte[] publicKey = new byte[keySize];
        derivePublicKey(secret, publicKey);
        byte[] message = new byte[length];
        random.NextBytes(message);
        byte[] signature = new byte[signatureSize];
        sign(secret, message, signature);
        return (publicKey, signature, message);
    }

    [Fact]
    public void Wrong_sizes_and_garbage_never_verify()
    {
        Assert.False(EdDsaVerifier.VerifyEd25519(new byte[63], new byte[32], [1]));
        Assert.False(EdDsaVerifier.VerifyEd25519(new byte[64], new byte[31], [1]));
        Assert.False(EdDsaVerifier.VerifyEd448(new byte[114], new byte[56], [1]));
        byte[] garbage = Enumerable.Repeat((byte)0xFF, 64).ToArray();
        Assert.False(EdDsaVerifier.VerifyEd25519(garbage, garbage.AsSpan(0, 32), [1, 2, 3]));
    }
}
