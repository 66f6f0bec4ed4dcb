using System.Text;
using Mailseal.Core.Messages;

namespace Mailseal.Core.Tests.Messages;

/// <summary>
/// The corpus (TestData/messages): every message under encrypt/ is encrypted by the real
/// pipeline and decrypted by GnuPG, RNP and sqop to exactly the original Content-* fields and
/// body; every message under passthrough/ comes out byte-identical.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class MessageCorpusTests(OracleKeys keys) : IClassFixture<OracleKeys>
{
    private static readonly string[] Oracles = ["gpg", "rnp", "sqop"];

    private static string Root => Path.Combine(AppContext.BaseDirectory, "TestData", "messages");

    public static TheoryData<string> EncryptCases() => Cases("encrypt");

    public static TheoryData<string> PassCases() => Cases("passthrough");

    private static TheoryData<string> Cases(string folder)
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(Root, folder), "*.eml").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void The_corpus_holds_at_least_40_messages()
    {
        var count = Directory.GetFiles(Path.Combine(Root, "encrypt"), "*.eml").Length
            + Directory.GetFiles(Path.Combine(Root, "passthrough"), "*.eml").Length;
        Assert.True(count >= 40, $"only {count} messages in the corpus");
    }

    [Theory]
    [MemberData(nameof(EncryptCases))]
    public async Task Encrypted_output_decrypts_in_gpg_rnp_and_sqop_to_the_original_content_fields_and_body(string name)
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(Root, "encrypt", name));
        await AssertEncryptsAndDecryptsAsync(input, MessageEncryptionOptions.Default);
    }

    [Theory]
    [MemberData(nameof(PassCases))]
    public async Task Already_encrypted_messages_pass_through_byte_identical(string name)
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(Root, "passthrough", name));
        var (result, output) = await RunAsync(input, MessageEncryptionOptions.Default);
        Assert.Equal(MessageAction.AlreadyEncrypted, result.Action);
        Assert.Equal(input, output);
        Assert.Equal(input.Length, result.InputBytes);
    }

    /// <summary>A look-ahead of 16 bytes and a spool that moves to disk at 1 KiB: every body is checked as it streams.</summary>
    private static readonly MessageEncryptionOptions Streamed = MessageEncryptionOptions.Default with
    {
        Limits = MessageEncryptionOptions.Default.Limits with { MaxClassifyBytes = 16 },
        SpoolMemoryThreshold = 1024,
    };

    [Theory]
    [MemberData(nameof(PassCases))]
    public async Task Already_encrypted_messages_too_large_to_hold_pass_through_byte_identical(string name)
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(Root, "passthrough", name));
        var (result, output) = await RunAsync(input, Streamed);
        Assert.Equal(MessageAction.AlreadyEncrypted, result.Action);
        Assert.Equal(input, output);
        Assert.Equal(input.Length, result.InputBytes);
    }

    [Theory]
    [MemberData(nameof(EncryptCases))]
    public async Task Messages_too_large_to_hold_are_encrypted_to_their_exact_content(string name)
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(Root, "encrypt", name));
        var (result, output) = await RunAsync(input, Streamed);
        Assert.Equal(MessageAction.Encrypted, result.Action);
        Assert.Equal(input.Length, result.InputBytes);
        var inner = await keys.DecryptAsync("gpg", MessageBytes.ExtractArmor(output));
        var expected = result.Reason.Contains("message/rfc822", StringComparison.Ordinal) ? [.. "Content-Type: message/rfc822\n\n"u8, .. input] : MessageBytes.ExpectedInner(input);
        Assert.True(expected.AsSpan().SequenceEqual(inner), $"the decrypted inner entity differs ({inner.Length} vs {expected.Length} bytes; {result.Reason})");
    }

    [Fact]
    public async Task Plaintext_after_the_armor_of_a_large_pgp_mime_message_gets_it_encrypted_whole() =>
        await AssertTextAfterTheArmorIsEncryptedAsync(await File.ReadAllBytesAsync(Path.Combine(Root, "passthrough", "pgp-mime.eml")), Streamed);

    [Fact]
    public async Task A_large_pgp_mime_message_passes_through_and_plaintext_hidden_at_its_end_is_encrypted()
    {
        // A PGP/MIME message of about 400 KiB: our own output for a 300 KiB text.
        var text = new StringBuilder("From: bob@example.net\nTo: alice@example.org\nSubject: large\nMIME-Version: 1.0\nContent-Type: text/plain\n\n");
        for (var i = 0; text.Length < 300 * 1024; i++)
            text.Append("line ").Append(i).Append(" of a long letter\n");
        var (_, pgpMime) = await RunAsync(Encoding.ASCII.GetBytes(text.ToString()), MessageEncryptionOptions.Default);
        var options = MessageEncryptionOptions.Default with
        {
            Limits = MessageEncryptionOptions.Default.Limits with { MaxClassifyBytes = 100 * 1024 },
            SpoolMemoryThreshold = 64 * 1024,
        };

        var (passed, same) = await RunAsync(pgpMime, options);
        Assert.Equal(MessageAction.AlreadyEncrypted, passed.Action);
        Assert.Equal("PGP/MIME", passed.Reason);
        Assert.Equal(pgpMime, same);

        // Plaintext after the END line, far beyond the look-ahead: checked bytes were spooled, then
        // the refused block stops the pass; the message is encrypted from the start after all.
        await AssertTextAfterTheArmorIsEncryptedAsync(pgpMime, options);
    }

    private async Task AssertTextAfterTheArmorIsEncryptedAsync(byte[] pgpMime, MessageEncryptionOptions options)
    {
        var original = Encoding.ASCII.GetString(pgpMime);
        var end = original.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal) + 25;
        var tampered = Encoding.ASCII.GetBytes(original[..end] + "\nMeet me at noon, the plan is on.\n" + original[end..]);
        var (result, output) = await RunAsync(tampered, options);
        Assert.Equal(MessageAction.Encrypted, result.Action);
        Assert.Equal(tampered.Length, result.InputBytes);
        Assert.DoesNotContain("Meet me at noon", Encoding.ASCII.GetString(output), StringComparison.Ordinal);
        var inner = await keys.DecryptAsync("gpg", MessageBytes.ExtractArmor(output));
        Assert.Equal(MessageBytes.ExpectedInner(tampered), inner);
    }

    [Fact]
    public async Task A_large_binary_attachment_streams_through_and_decrypts()
    {
        var rng = new Random(7);
        var blob = new byte[6 * 1024 * 1024];
        rng.NextBytes(blob);
        var head = "From: bob@example.net\nTo: alice@example.org\nSubject: big\nMIME-Version: 1.0\n"
            + "Content-Type: multipart/mixed; boundary=\"big\"\n\n--big\nContent-Type: text/plain\n\nsee attachment\n"
            + "--big\nContent-Type: application/octet-stream; name=\"blob.bin\"\nContent-Transfer-Encoding: base64\n\n";
        var input = Encoding.ASCII.GetBytes(head + Convert.ToBase64String(blob, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n--big--\n");
        var result = await AssertEncryptsAndDecryptsAsync(input, MessageEncryptionOptions.Default with { SpoolMemoryThreshold = 256 * 1024 });
        Assert.Equal("plaintext", result.Reason);
    }

    [Fact]
    public async Task Multipart_nested_50_deep_is_encrypted_whole()
    {
        var sb = new StringBuilder("From: bob@example.net\nTo: alice@example.org\nSubject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n");
        for (var i = 1; i <= 50; i++)
            sb.Append("--b").Append(i - 1).Append("\nContent-Type: multipart/mixed; boundary=\"b").Append(i).Append("\"\n\n");
        sb.Append("--b50\nContent-Type: text/plain\n\n-----BEGIN PGP MESSAGE-----\n\nwcBMA0l4\n-----END PGP MESSAGE-----\n--b50--\n");
        for (var i = 49; i >= 0; i--)
            sb.Append("--b").Append(i).Append("--\n");
        var result = await AssertEncryptsAndDecryptsAsync(Encoding.ASCII.GetBytes(sb.ToString()), MessageEncryptionOptions.Default);
        Assert.Contains("MIME depth", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_block_over_the_limit_is_encrypted_whole_as_message_rfc822()
    {
        var sb = new StringBuilder("From: bob@example.net\nTo: alice@example.org\nSubject: many headers\n");
        for (var i = 0; i < 3000; i++)
            sb.Append("X-Filler-").Append(i).Append(": ").Append('v', 20).Append('\n');
        sb.Append("Content-Type: text/plain\n\nbody\n");
        var input = Encoding.ASCII.GetBytes(sb.ToString());
        var (result, output) = await RunAsync(input, MessageEncryptionOptions.Default);
        Assert.Equal(MessageAction.Encrypted, result.Action);
        Assert.Contains("message/rfc822", result.Reason, StringComparison.Ordinal);
        Assert.StartsWith("From: bob@example.net\nTo: alice@example.org\nSubject: many headers\nX-Filler-0:", Encoding.ASCII.GetString(output), StringComparison.Ordinal);
        var inner = await keys.DecryptAsync("gpg", MessageBytes.ExtractArmor(output));
        Assert.Equal([.. "Content-Type: message/rfc822\n\n"u8, .. input], inner);
    }

    private async Task<MessageEncryptionResult> AssertEncryptsAndDecryptsAsync(byte[] input, MessageEncryptionOptions options)
    {
        var (result, output) = await RunAsync(input, options);
        Assert.Equal(MessageAction.Encrypted, result.Action);
        Assert.Equal(input.Length, result.InputBytes);
        Assert.Equal(output.Length, result.OutputBytes);
        MessageBytes.AssertPgpMimeShape(input, output);
        var armored = MessageBytes.ExtractArmor(output);
        var expected = MessageBytes.ExpectedInner(input);
        foreach (var oracle in Oracles)
        {
            var inner = await keys.DecryptAsync(oracle, armored);
            Assert.True(expected.AsSpan().SequenceEqual(inner), $"{oracle}: the decrypted inner entity differs from the original Content-* fields and body ({inner.Length} vs {expected.Length} bytes)");
        }

        return result;
    }

    private async Task<(MessageEncryptionResult Result, byte[] Output)> RunAsync(byte[] input, MessageEncryptionOptions options)
    {
        var encryptor = new MessageEncryptor(new PgpContentEncryptor());
        using var output = new MemoryStream();
        var result = await encryptor.EncryptAsync(new MemoryStream(input), output, [keys.Recipient], options, CancellationToken.None);
        return (result, output.ToArray());
    }
}
