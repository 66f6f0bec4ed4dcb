using Mailseal.Core.OpenPgp;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>What Mailseal encrypts to GnuPG keys of every kind, gpg decrypts byte-identically.</summary>
public sealed class GpgRoundTripTests : IClassFixture<GpgKeysFixture>
{
    private readonly GpgKeysFixture _gpg;

    public GpgRoundTripTests(GpgKeysFixture gpg) => _gpg = gpg;

    public static TheoryData<string, bool, bool, int> Cases()
    {
        var data = new TheoryData<string, bool, bool, int>();
        foreach (var key in GpgKeysFixture.KeyParameters.Keys)
            foreach (bool zlib in new[] { false, true })
                foreach (bool armor in new[] { true, false })
                    foreach (int size in new[] { 0, 1, 1_000_000 })
                        data.Add(key, zlib, armor, size);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gpg_decrypts_what_we_encrypt(string key, bool zlib, bool armor, int size)
    {
        var plaintext = new byte[size];
        new Random(size + key.Length).NextBytes(plaintext);
        var encryptor = new PgpEncryptor(new PgpEncryptOptions
        {
            Armor = armor,
            Compression = zlib ? CompressionAlgorithm.Zlib : CompressionAlgorithm.Uncompressed,
            FileName = "message.eml",
        });
        var recipient = _gpg.Recipient(key);
        Assert.Equal(new PgpEncryptionPlan(SymmetricAlgorithm.Aes256, false), encryptor.Plan([recipient]));

        var ciphertext = new MemoryStream();
        encryptor.Encrypt(new MemoryStream(plaintext), ciphertext, [recipient]);
        var bytes = ciphertext.ToArray();
        if (armor)
        {
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            Assert.StartsWith("-----BEGIN PGP MESSAGE-----\n\n", text, StringComparison.Ordinal);
            Assert.EndsWith("-----END PGP MESSAGE-----\n", text, StringComparison.Ordinal);
            Assert.All(text.Split('\n'), line => Assert.True(line.Length <= 64, $"armor line longer than 64: {line}"));
            Assert.Matches(@"\n=[A-Za-z0-9+/]{4}\n-----END", text);
        }

        var file = Path.Combine(_gpg.Home, $"msg-{Guid.NewGuid():N}.pgp");
        File.WriteAllBytes(file, bytes);
        var result = _gpg.Decrypt(file);
        File.Delete(file);
        Assert.True(result.ExitCode == 0, OracleRunner.Describe(result));
        Assert.DoesNotContain("WARNING", result.Stderr, StringComparison.Ordinal);
        Assert.True(plaintext.AsSpan().SequenceEqual(result.Stdout), $"plaintext differs: {OracleRunner.Describe(result)}");
    }

    [Theory]
    [InlineData("nistp521")]
    [InlineData("brainpoolP384r1")]
    [InlineData("brainpoolP512r1")]
    public void Gpg_decrypts_what_we_encrypt_to_the_other_ecdh_curves(string key) =>
        Gpg_decrypts_what_we_encrypt(key, zlib: false, armor: true, size: 10_000);

    [Fact]
    public void Gpg_decrypts_a_message_to_several_recipients_with_each_key()
    {
        var plaintext = "one message, three keys\n"u8.ToArray();
        var recipients = new[] { _gpg.Recipient("rsa2048"), _gpg.Recipient("cv25519"), _gpg.Recipient("elg2048") };
        var ciphertext = new MemoryStream();
        new PgpEncryptor().Encrypt(new MemoryStream(plaintext), ciphertext, recipients);

        var packets = TestPacketSplitter.Split(TestPacketSplitter.Dearmor(System.Text.Encoding.ASCII.GetString(ciphertext.ToArray())));
        Assert.Equal([1, 1, 1, 18], packets.Select(p => p.Tag));
        var keyIds = packets.Take(3).Select(p => Convert.ToHexString(p.Body, 1, 8)).ToList();
        Assert.Equal(recipients.Select(r => r.Key.KeyIdHex), keyIds);

        // Each key alone decrypts: move the other secret keys out of the way one at a time.
        foreach (var r in recipients)
        {
            var home = OracleRunner.PrivateTempDirectory("mailseal-gpg-one-");
            try
            {
                var secret = _gpg.Gpg("--export-secret-subkeys", $"{r.Key.FingerprintHex}!");
                var secretFile = Path.Combine(home, "secret.pgp");
                File.WriteAllBytes(secretFile, secret);
                OracleRunner.RunChecked("gpg", ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--import", secretFile]);
                var file = Path.Combine(home, "msg.asc");
                File.WriteAllBytes(file, ciphertext.ToArray());
                var result = OracleRunner.Run("gpg", ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--decrypt", file]);
                Assert.True(result.ExitCode == 0, OracleRunner.Describe(result));
                Assert.Equal(plaintext, result.Stdout);
            }
            finally
            {
                OracleRunner.Run("gpgconf", ["--homedir", home, "--kill", "all"]);
                Directory.Delete(home, recursive: true);
            }
        }
    }

    [Fact]
    public void A_signing_only_key_is_refused_with_one_clear_line_and_nothing_is_written()
    {
        var primary = _gpg.Primary("nistp256");
        var signOnly = new EncryptionRecipient(primary, primary.Fingerprint, [], [], false);
        var output = new MemoryStream();
        var ex = Assert.Throws<OpenPgpFormatException>(() => new PgpEncryptor().Encrypt(new MemoryStream([1, 2, 3]), output, [_gpg.Recipient("rsa2048"), signOnly]));
        Assert.Contains($"key 0x{primary.KeyIdHex} uses Ecdsa, a signing-only algorithm", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void Gpg_sees_aes256_an_mdc_zlib_and_our_literal_packet()
    {
        var encryptor = new PgpEncryptor(new PgpEncryptOptions { Compression = CompressionAlgorithm.Zlib, FileName = "a.eml", LiteralDate = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000) });
        var ciphertext = new MemoryStream();
        encryptor.Encrypt(new MemoryStream(new byte[200_000]), ciphertext, [_gpg.Recipient("cv25519")]);
        var file = Path.Combine(_gpg.Home, $"msg-{Guid.NewGuid():N}.asc");
        File.WriteAllBytes(file, ciphertext.ToArray());
        var result = OracleRunner.Run("gpg", ["--homedir", _gpg.Home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "-v", "--list-packets", file]);
        File.Delete(file);
        var text = System.Text.Encoding.UTF8.GetString(result.Stdout) + result.Stderr;
        Assert.True(result.ExitCode == 0, OracleRunner.Describe(result));
        Assert.Contains($":pubkey enc packet: version 3, algo 18, keyid {_gpg.Recipient("cv25519").Key.KeyIdHex}", text, StringComparison.Ordinal);
        Assert.Contains("mdc_method: 2", text, StringComparison.Ordinal);
        Assert.Contains("AES256", text, StringComparison.Ordinal);
        Assert.Contains(":compressed packet: algo=2", text, StringComparison.Ordinal);
        Assert.Contains("mode b (62), created 1700000000, name=\"a.eml\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpg_rejects_our_ciphertext_with_one_flipped_bit()
    {
        var plaintext = new byte[5000];
        var ciphertext = new MemoryStream();
        new PgpEncryptor(new PgpEncryptOptions { Armor = false }).Encrypt(new MemoryStream(plaintext), ciphertext, [_gpg.Recipient("rsa2048")]);
        var bytes = ciphertext.ToArray();
        bytes[^100] ^= 0x01;
        var file = Path.Combine(_gpg.Home, $"msg-{Guid.NewGuid():N}.pgp");
        File.WriteAllBytes(file, bytes);
        var result = _gpg.Decrypt(file);
        File.Delete(file);
        Assert.NotEqual(0, result.ExitCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_read_failure_part_way_leaves_a_message_gpg_refuses(bool async)
    {
        var output = new MemoryStream();
        var encryptor = new PgpEncryptor(new PgpEncryptOptions { Armor = false });
        if (async)
            await Assert.ThrowsAsync<IOException>(() => encryptor.EncryptAsync(new FailingStream(300_000), output, [_gpg.Recipient("rsa2048")]));
        else
            Assert.Throws<IOException>(() => encryptor.Encrypt(new FailingStream(300_000), output, [_gpg.Recipient("rsa2048")]));
        Assert.True(output.Length > 100_000, "what was encrypted before the failure was written");
        var file = Path.Combine(_gpg.Home, $"msg-{Guid.NewGuid():N}.pgp");
        File.WriteAllBytes(file, output.ToArray());
        var result = _gpg.Decrypt(file);
        File.Delete(file);
        Assert.NotEqual(0, result.ExitCode);
    }

    [Fact]
    public void A_cancelled_encryption_stops_with_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            new PgpEncryptor().Encrypt(new PatternStream(1_000_000), new MemoryStream(), [_gpg.Recipient("cv25519")], cts.Token));
    }
}
