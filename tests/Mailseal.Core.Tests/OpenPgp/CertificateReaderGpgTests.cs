using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>Keys generated at test time by GnuPG: each reads, fingerprints match gpg's, and the encryption key chosen is the one gpg uses.</summary>
public sealed class CertificateReaderGpgTests
{
    [Theory]
    [InlineData("rsa2048", "rsa2048")]
    [InlineData("ed25519", "cv25519")]
    [InlineData("nistp256", "nistp256")]
    [InlineData("nistp384", "nistp384")]
    [InlineData("nistp521", "nistp521")]
    [InlineData("brainpoolP256r1", "brainpoolP256r1")]
    [InlineData("brainpoolP384r1", "brainpoolP384r1")]
    [InlineData("brainpoolP512r1", "brainpoolP512r1")]
    [InlineData("dsa2048", "elg2048")]
    public void Gpg_key_reads_and_selects_the_subkey_gpg_would_use(string primaryAlgorithm, string subkeyAlgorithm)
    {
        using var gpg = new GpgHome();
        string uid = $"Test {primaryAlgorithm} <Test.{primaryAlgorithm}@Example.org>";
        string fpr = gpg.Generate(uid, primaryAlgorithm);
        gpg.AddKey(fpr, subkeyAlgorithm);
        string? expectedKeyId = gpg.GpgEncryptionKeyId(fpr);
        Assert.NotNull(expectedKeyId);

        foreach (bool armor in new[] { false, true })
        {
            var result = CertificateReader.Read(gpg.Export(fpr, armor));
            Assert.Empty(result.Warnings);
            var cert = Assert.Single(result.Certificates);
            Assert.Equal(fpr, cert.FingerprintHex);
            Assert.Equal(4, cert.PrimaryKey.Version);
            Assert.Equal([$"test.{primaryAlgorithm}@example.org".ToLowerInvariant()], cert.EmailAddresses);
            var userId = Assert.Single(cert.UserIds);
            Assert.True(userId.IsValid);
            Assert.True(userId.IsPrimary);
            var subkey = Assert.Single(cert.Subkeys);
            Assert.Null(subkey.Problem);
            Assert.Equal(gpg.Fingerprints(fpr)[1], subkey.Key.FingerprintHex);
            Assert.Equal(KeyFlags.EncryptCommunications | KeyFlags.EncryptStorage, subkey.Flags);

            var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
            Assert.True(selection.IsUsable, selection.Reason);
            Assert.Equal(expectedKeyId, selection.Recipient!.Key.KeyIdHex);
            Assert.Equal(fpr, Convert.ToHexString(selection.Recipient.PrimaryFingerprint));
            Assert.Contains(SymmetricAlgorithm.Aes256, selection.Recipient.PreferredSymmetric);
            Assert.False(selection.Recipient.SupportsSeipdV2);
            Assert.Equal(cert.Encoded.ToArray(), gpg.Export(fpr));
        }
    }

    [Theory]
    [InlineData("rsa2048", "SHA224")]
    [InlineData("rsa2048", "SHA1")]
    [InlineData("rsa2048", "SHA512")]
    [InlineData("nistp256", "SHA512")]
    [InlineData("nistp384", "SHA512")]
    [InlineData("brainpoolP256r1", "SHA384")]
    [InlineData("ed25519", "SHA512")]
    public void Self_signatures_with_every_hash_gpg_offers_verify(string algorithm, string digest)
    {
        using var gpg = new GpgHome();
        // --cert-digest-algo picks the hash of the self-signatures gpg makes.
        gpg.Gpg("--cert-digest-algo", digest, "--quick-gen-key", "Digest <digest@example.org>", algorithm, "default", "never");
        string fpr = gpg.Fingerprints("digest@example.org")[0];
        gpg.Gpg("--cert-digest-algo", digest, "--quick-add-key", fpr, algorithm.StartsWith("ed", StringComparison.Ordinal) ? "cv25519" : algorithm, "encr", "never");
        byte[] exported = gpg.Export(fpr);
        string packets = ExternalProgram.Run("gpg", ["--homedir", gpg.Path, "--list-packets"], stdin: exported).StdoutText;
        Assert.Contains($"digest algo {DigestId(digest)},", packets, StringComparison.Ordinal);

        var cert = Assert.Single(CertificateReader.Read(exported).Certificates);
        Assert.True(cert.UserIds[0].IsValid);
        Assert.Null(cert.Subkeys[0].Problem);
        Assert.Equal(gpg.GpgEncryptionKeyId(fpr), cert.SelectEncryptionKey(DateTimeOffset.UtcNow).Recipient!.Key.KeyIdHex);
    }

    private static int DigestId(string name) => name switch
    {
        "SHA1" => 2,
        "SHA256" => 8,
        "SHA384" => 9,
        "SHA512" => 10,
        _ => 11,
    };

    [Fact]
    public void Several_certificates_in_one_file_and_several_armor_blocks()
    {
        using var gpg = new GpgHome();
        string a = gpg.Generate("A <a@example.org>", "ed25519");
        gpg.AddKey(a, "cv25519");
        string b = gpg.Generate("B <b@example.org>", "nistp256");
        gpg.AddKey(b, "nistp256");

        var binary = CertificateReader.Read(gpg.Gpg("--export", a, b).Stdout);
        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal).ToArray(),
            binary.Certificates.Select(c => c.FingerprintHex).Order(StringComparer.Ordinal).ToArray());

        byte[] twoBlocks = [.. "Two keys follow.\n"u8, .. gpg.Export(a, armor: true), .. "\nand\n"u8, .. gpg.Export(b, armor: true)];
        var armored = CertificateReader.Read(new MemoryStream(twoBlocks));
        Assert.Equal([a, b], armored.Certificates.Select(c => c.FingerprintHex).ToArray());
        Assert.Equal(["a@example.org"], armored.Certificates[0].EmailAddresses);
        Assert.Equal(["b@example.org"], armored.Certificates[1].EmailAddresses);
    }

    [Fact]
    public void Primary_key_flagged_for_encryption_is_used_when_there_is_no_subkey()
    {
        using var gpg = new GpgHome();
        string fpr = gpg.Generate("Single <single@example.org>", "rsa2048", usage: "sign,encr");
        Assert.Equal(fpr[^16..], gpg.GpgEncryptionKeyId(fpr));
        var cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        Assert.Empty(cert.Subkeys);
        var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.True(selection.IsUsable, selection.Reason);
        Assert.Same(cert.PrimaryKey, selection.Recipient!.Key);
    }

    [Fact]
    public void Chooses_the_newest_of_several_encryption_subkeys()
    {
        using var gpg = new GpgHome();
        string fpr = gpg.Generate("Many <many@example.org>", "ed25519", fakedTime: "20240101T000000");
        gpg.AddKey(fpr, "cv25519", fakedTime: "20240201T000000");
        gpg.AddKey(fpr, "rsa2048", fakedTime: "20240301T000000");
        gpg.AddKey(fpr, "nistp256", fakedTime: "20240401T000000");
        var cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        Assert.Equal(3, cert.Subkeys.Count);
        var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.True(selection.IsUsable, selection.Reason);
        Assert.Equal(gpg.GpgEncryptionKeyId(fpr), selection.Recipient!.Key.KeyIdHex);
        Assert.Equal(PublicKeyAlgorithm.Ecdh, selection.Recipient.Key.Algorithm);
    }
}
