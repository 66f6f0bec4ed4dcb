using Mailseal.Core.OpenPgp;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>Keys the encryptor cannot encrypt to give one clear line, and no output.</summary>
public sealed class RecipientKeyErrorTests
{
    private static string Refusal(PublicKeyPacket key)
    {
        var output = new MemoryStream();
        var ex = Assert.Throws<OpenPgpFormatException>(() =>
            new PgpEncryptor().Encrypt(new MemoryStream([1]), output, [SyntheticKeys.Recipient(key, [])]));
        Assert.Equal(0, output.Length);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Contains($"0x{key.KeyIdHex}", ex.Message, StringComparison.Ordinal);
        return ex.Message;
    }

    [Theory]
    [InlineData(PublicKeyAlgorithm.RsaSignOnly)]
    [InlineData(PublicKeyAlgorithm.Dsa)]
    [InlineData(PublicKeyAlgorithm.Ecdsa)]
    [InlineData(PublicKeyAlgorithm.EdDsaLegacy)]
    [InlineData(PublicKeyAlgorithm.Ed25519)]
    [InlineData(PublicKeyAlgorithm.Ed448)]
    public void Signing_only_algorithms_are_refused(PublicKeyAlgorithm algorithm)
    {
        Assert.Contains("signing-only algorithm", Refusal(SyntheticKeys.Key(algorithm, new byte[32])), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_algorithm_is_refused()
    {
        Assert.Contains("public-key algorithm 99", Refusal(SyntheticKeys.Key((PublicKeyAlgorithm)99, new byte[32])), StringComparison.Ordinal);
    }

    [Fact]
    public void An_ecdh_key_on_an_unknown_curve_names_the_curve()
    {
        // X448 under the legacy ECDH encoding (1.3.101.111), which RFC 9580 does not define.
        byte[] material = [3, 0x2B, 0x65, 0x6F, 0x01, 0xC7, 0x40, .. new byte[56], 3, 1, 10, 9];
        Assert.Contains("curve 1.3.101.111", Refusal(SyntheticKeys.Key(PublicKeyAlgorithm.Ecdh, material)), StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_rsa_material_is_malformed()
    {
        byte[] material = [0x08, 0x00, 0xC0, 0x01];
        Assert.Contains("malformed key material: RSA modulus n runs past the end", Refusal(SyntheticKeys.Key(PublicKeyAlgorithm.Rsa, material)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_short_x25519_key_is_malformed()
    {
        Assert.Contains("X25519 public key runs past the end", Refusal(SyntheticKeys.Key(PublicKeyAlgorithm.X25519, new byte[31])), StringComparison.Ordinal);
    }

    [Fact]
    public void A_low_order_x25519_point_is_refused()
    {
        Assert.Contains("low-order point", Refusal(SyntheticKeys.Key(PublicKeyAlgorithm.X25519, new byte[32])), StringComparison.Ordinal);
    }

    [Fact]
    public void A_p256_point_off_the_curve_is_refused()
    {
        byte[] point = [0x04, .. Enumerable.Repeat((byte)0x11, 64)];
        byte[] material = [8, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x02, 0x03, .. point, 3, 1, 8, 7];
        Assert.Contains("NIST P-256 public point is not usable", Refusal(SyntheticKeys.Key(PublicKeyAlgorithm.Ecdh, material)), StringComparison.Ordinal);
    }

    [Fact]
    public void An_ecdh_key_with_a_weak_kdf_hash_is_refused()
    {
        byte[] material = [10, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01, 0x01, 0x07, 0x40, .. Enumerable.Repeat((byte)9, 32), 3, 1, 2, 7];
        Assert.Contains("KDF hash Sha1 is not allowed", Refusal(SyntheticKeys.Key(PublicKeyAlgorithm.Ecdh, material)), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_are_argument_errors()
    {
        Assert.Throws<ArgumentException>(() => new PgpEncryptor(new PgpEncryptOptions { AeadChunkSizeOctet = 17 }));
        Assert.Throws<ArgumentException>(() => new PgpEncryptor(new PgpEncryptOptions { AeadChunkSizeOctet = -1 }));
        Assert.Throws<ArgumentException>(() => new PgpEncryptor(new PgpEncryptOptions { Compression = CompressionAlgorithm.BZip2 }));
        Assert.Throws<ArgumentException>(() => new PgpEncryptor(new PgpEncryptOptions { FileName = new string('a', 256) }));
        Assert.Equal(12, new PgpEncryptor().Options.AeadChunkSizeOctet);
    }
}
