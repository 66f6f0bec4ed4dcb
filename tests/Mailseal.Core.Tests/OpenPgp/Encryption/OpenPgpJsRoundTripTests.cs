using Mailseal.Core.OpenPgp;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>SEIPD v2 (AES-OCB) with v6 PKESKs: OpenPGP.js decrypts what we encrypt to v6 (and v4) keys.</summary>
public sealed class OpenPgpJsRoundTripTests : IClassFixture<OpenPgpJsKeysFixture>
{
    private readonly OpenPgpJsKeysFixture _js;

    public OpenPgpJsRoundTripTests(OpenPgpJsKeysFixture js) => _js = js;

    public static TheoryData<string, bool, int> Cases()
    {
        var data = new TheoryData<string, bool, int>();
        foreach (var kind in OpenPgpJsKeysFixture.Kinds)
            foreach (bool armor in new[] { true, false })
                foreach (int size in new[] { 0, 1, 1_000_000 })
                    data.Add(kind, armor, size);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OpenPgpJs_decrypts_our_seipd_v2(string kind, bool armor, int size)
    {
        var plaintext = new byte[size];
        new Random(size + kind.Length).NextBytes(plaintext);
        var recipient = _js.Recipient(kind);
        if (recipient.Key.Version == 4)
        {
            // OpenPGP.js v4 keys announce only SEIPD v1; RFC 9580 lets a v4 key receive a v6 PKESK
            // and SEIPD v2 all the same, which is what this case checks.
            Assert.False(recipient.SupportsSeipdV2);
            recipient = recipient with { SupportsSeipdV2 = true };
        }

        var encryptor = new PgpEncryptor(new PgpEncryptOptions { Armor = armor });
        Assert.Equal(new PgpEncryptionPlan(SymmetricAlgorithm.Aes256, true), encryptor.Plan([recipient]));

        var bytes = Encrypt(encryptor, plaintext, recipient);
        var packets = TestPacketSplitter.Split(armor ? TestPacketSplitter.Dearmor(System.Text.Encoding.ASCII.GetString(bytes)) : bytes);
        Assert.Equal([1, 18], packets.Select(p => p.Tag));
        Assert.Equal(6, packets[0].Body[0]);
        Assert.Equal(recipient.Key.Fingerprint, packets[0].Body.AsSpan(3, recipient.Key.Fingerprint.Length).ToArray());
        Assert.Equal([2, 9, 2, 12], packets[1].Body.AsSpan(0, 4).ToArray());
        if (armor)
            Assert.DoesNotMatch(@"\n=[A-Za-z0-9+/]{4}\n", System.Text.Encoding.ASCII.GetString(bytes));

        AssertDecrypts(kind, bytes, plaintext);
    }

    [Theory]
    [InlineData("curve25519-v6", 0)]
    [InlineData("curve448-v6", 4)]
    [InlineData("nistP384-v6", 16)]
    public void OpenPgpJs_decrypts_zlib_aes128_and_other_chunk_sizes(string kind, int chunkOctet)
    {
        var plaintext = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Subject: compressible mail\r\n", 20_000)));
        var recipient = _js.Recipient(kind) with { PreferredSymmetric = [SymmetricAlgorithm.Aes128], PreferredAeadCiphersuites = [] };
        var encryptor = new PgpEncryptor(new PgpEncryptOptions { Compression = CompressionAlgorithm.Zlib, AeadChunkSizeOctet = chunkOctet });
        Assert.Equal(new PgpEncryptionPlan(SymmetricAlgorithm.Aes128, true), encryptor.Plan([recipient]));
        var bytes = Encrypt(encryptor, plaintext, recipient);
        Assert.True(bytes.Length < plaintext.Length / 10, "ZLIB did not compress");
        AssertDecrypts(kind, bytes, plaintext);
    }

    [Theory]
    [InlineData("curve25519-v4", 25)]
    [InlineData("curve448-v4", 26)]
    public void OpenPgpJs_decrypts_seipd_v1_with_a_v3_pkesk_to_native_x25519_and_x448_v4_keys(string kind, int algorithm)
    {
        var plaintext = new byte[100_000];
        new Random(3).NextBytes(plaintext);
        var recipient = _js.Recipient(kind);
        Assert.Equal(4, recipient.Key.Version);
        Assert.Equal(algorithm, (int)recipient.Key.Algorithm);
        var encryptor = new PgpEncryptor(new PgpEncryptOptions { AllowSeipdV2 = false, Armor = false });
        var bytes = Encrypt(encryptor, plaintext, recipient);
        var packets = TestPacketSplitter.Split(bytes);
        Assert.Equal([1, 18], packets.Select(p => p.Tag));
        var pkesk = packets[0].Body;
        Assert.Equal(3, pkesk[0]);
        int publicLength = algorithm == 25 ? 32 : 56;
        // After the ephemeral key: the size octet (cipher octet + wrapped key), then the cipher octet in the clear.
        Assert.Equal(1 + 32 + 8, pkesk[10 + publicLength]);
        Assert.Equal((byte)SymmetricAlgorithm.Aes256, pkesk[10 + publicLength + 1]);
        Assert.Equal(1, packets[1].Body[0]);
        AssertDecrypts(kind, bytes, plaintext);
    }

    [Fact]
    public void OpenPgpJs_decrypts_seipd_v1_with_a_v3_pkesk_to_a_v6_key_when_v2_is_switched_off()
    {
        var plaintext = "old-style container, new key\n"u8.ToArray();
        var recipient = _js.Recipient("curve25519-v6");
        var bytes = Encrypt(new PgpEncryptor(new PgpEncryptOptions { AllowSeipdV2 = false }), plaintext, recipient);
        var packets = TestPacketSplitter.Split(TestPacketSplitter.Dearmor(System.Text.Encoding.ASCII.GetString(bytes)));
        Assert.Equal(3, packets[0].Body[0]);
        Assert.Equal(1, packets[1].Body[0]);
        AssertDecrypts("curve25519-v6", bytes, plaintext);
    }

    [Fact]
    public void Each_of_several_v6_recipients_decrypts_alone()
    {
        var plaintext = "to everyone\n"u8.ToArray();
        var kinds = new[] { "curve25519-v6", "curve448-v6", "rsa-v6" };
        var bytes = Encrypt(new PgpEncryptor(), plaintext, kinds.Select(_js.Recipient).ToArray());
        Assert.Equal(3, TestPacketSplitter.Split(TestPacketSplitter.Dearmor(System.Text.Encoding.ASCII.GetString(bytes))).Count(p => p.Tag == 1));
        foreach (var kind in kinds)
            AssertDecrypts(kind, bytes, plaintext);
    }

    [Fact]
    public async Task EncryptAsync_and_the_encrypting_stream_give_messages_OpenPgpJs_decrypts()
    {
        var plaintext = new byte[700_000];
        new Random(7).NextBytes(plaintext);
        var recipient = _js.Recipient("curve25519-v6");
        var encryptor = new PgpEncryptor();

        var viaAsync = new MemoryStream();
        await encryptor.EncryptAsync(new MemoryStream(plaintext), viaAsync, [recipient]);
        AssertDecrypts("curve25519-v6", viaAsync.ToArray(), plaintext);

        var viaStream = new MemoryStream();
        using (var s = encryptor.OpenEncryptingStream(viaStream, [recipient]))
        {
            for (int i = 0; i < plaintext.Length; i += 1000)
                s.Write(plaintext, i, Math.Min(1000, plaintext.Length - i));
        }

        Assert.True(viaStream.CanWrite, "the output was closed");
        AssertDecrypts("curve25519-v6", viaStream.ToArray(), plaintext);
    }

    [Fact]
    public void OpenPgpJs_rejects_our_seipd_v2_with_one_flipped_bit()
    {
        var bytes = Encrypt(new PgpEncryptor(new PgpEncryptOptions { Armor = false }), new byte[3000], _js.Recipient("curve25519-v6"));
        bytes[^40] ^= 0x80;
        var file = Path.Combine(_js.Root, $"msg-{Guid.NewGuid():N}.pgp");
        File.WriteAllBytes(file, bytes);
        var result = _js.Decrypt("curve25519-v6", file);
        File.Delete(file);
        Assert.NotEqual(0, result.ExitCode);
    }

    private static byte[] Encrypt(PgpEncryptor encryptor, byte[] plaintext, params EncryptionRecipient[] recipients)
    {
        var output = new MemoryStream();
        encryptor.Encrypt(new MemoryStream(plaintext), output, recipients);
        return output.ToArray();
    }

    private void AssertDecrypts(string kind, byte[] message, byte[] plaintext)
    {
        var file = Path.Combine(_js.Root, $"msg-{Guid.NewGuid():N}.pgp");
        File.WriteAllBytes(file, message);
        var result = _js.Decrypt(kind, file);
        File.Delete(file);
        Assert.True(result.ExitCode == 0, $"{kind}: {OracleRunner.Describe(result)}");
        Assert.True(plaintext.AsSpan().SequenceEqual(result.Stdout), $"{kind}: plaintext differs ({result.Stdout.Length} octets back, {plaintext.Length} sent)");
    }
}
