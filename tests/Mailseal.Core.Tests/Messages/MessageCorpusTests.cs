using System.Text;
using Mailseal.Core.Messages;

namespace Mailseal.Core.Tests.Messages;

/// <summary>
/// The corpus (TestData/messages): every message under encrypt/ is encrypted by the real
/// pipeline and decrypted by GnuPG, RNP and sqop to exactly the original Content-* fields and
/// body; every message under passthrough/ comes out byte-identical.
/// </summary>
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
        Assert.Contains("not examined", result.Reason, StringComparison.Ordinal);
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
