using System.Text;
using Mailseal.Core.Messages;

namespace Mailseal.Core.Tests.Messages;

/// <summary>
/// Messages shaped to get plaintext past the pipeline (issue #10): line ends a CR-aware reader
/// splits differently, and plaintext dressed as ciphertext. Whatever the input, no byte of the
/// planted marker may appear in the output outside the armored ciphertext.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class HostileMessageTests(OracleKeys keys) : IClassFixture<OracleKeys>
{
    internal const string Marker = "MARKER-7f3a9c";

    private async Task<(MessageEncryptionResult Result, byte[] Output)> RunAsync(byte[] input, MessageEncryptionOptions? options = null)
    {
        var output = new MemoryStream();
        var result = await new MessageEncryptor(new PgpContentEncryptor()).EncryptAsync(
            new MemoryStream(input), output, [keys.Recipient], options ?? MessageEncryptionOptions.Default, CancellationToken.None);
        return (result, output.ToArray());
    }

    /// <summary>The output with its last armored block cut out: what a reader sees without the key.</summary>
    internal static string OutsideTheCiphertext(byte[] output)
    {
        var text = Encoding.Latin1.GetString(output);
        var end = text.LastIndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal);
        var begin = end < 0 ? -1 : text.LastIndexOf("-----BEGIN PGP MESSAGE-----", end, StringComparison.Ordinal);
        return begin < 0 ? text : text[..begin] + text[end..];
    }

    [Theory]
    [InlineData("From: a@example.net\rTo: alice@example.org\rSubject: hi\r\r" + Marker + " body\r")]
    [InlineData("Received: from x\nFrom: a@example.net\rTo: alice@example.org\r\r" + Marker + "\r")]
    [InlineData("Received: from x\r\nSubject: hi\r\r\n" + Marker + "\r\n")]
    [InlineData("From: a@example.net\r\nSubject: hi\r\n\r\n" + Marker + "\rmore\n")]
    [InlineData("From: a@example.net\nSubject: x\n\tfolded\r" + Marker + "\n\nbody\n")]
    public async Task Bare_cr_line_ends_leave_no_body_text_outside_the_ciphertext(string message)
    {
        var input = Encoding.Latin1.GetBytes(message);
        var (result, output) = await RunAsync(input);
        Assert.Equal(MessageAction.Encrypted, result.Action);
        Assert.DoesNotContain(Marker, OutsideTheCiphertext(output), StringComparison.Ordinal);
        var inner = Encoding.Latin1.GetString(await keys.DecryptAsync("gpg", MessageBytes.ExtractArmor(output)));
        Assert.Contains(Marker, inner, StringComparison.Ordinal);
    }
}
