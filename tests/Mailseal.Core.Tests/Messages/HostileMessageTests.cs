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

    private const string ArmorBody =
        "hF4D09QiIgOMvV8SAQdAwwXBvT4PuE/l+t9b6LJOmbxS8K3OMKaBtPrzW79DQzsw\n"
        + "swqU7568HEo0t23SYQDg3pk+31/g4y4i+gNE4ourQDw/y5M/nxWqPs7ywdmgVwsI\n"
        + "0j0B+SzRuN+ykHwqeqNWe7662Tyru15tXWBR6v5xiBNEZ75IkSsDeaDs0giSa+Pw\n"
        + "IQLfdn05wZmMpKwNVsq1\n=/abi\n";

    internal static string PgpMime(string preamble, string armor, string partHeaders = "") =>
        "From: a@example.net\nTo: alice@example.org\nSubject: s\nMIME-Version: 1.0\n"
        + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e\"\n\n"
        + preamble + "--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--e\nContent-Type: application/octet-stream\n" + partHeaders + "\n"
        + armor + "\n--e--\n";

    internal static string Inline(string armor) => "From: a@example.net\nTo: alice@example.org\nSubject: s\n\n" + armor;

    internal static string RealArmor(string headers = "") => "-----BEGIN PGP MESSAGE-----\n" + headers + "\n" + ArmorBody + "-----END PGP MESSAGE-----\n";

    private static string Base64Armor(byte[] data) =>
        "-----BEGIN PGP MESSAGE-----\n\n" + Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n", StringComparison.Ordinal)
        + "\n-----END PGP MESSAGE-----\n";

    public static TheoryData<string, string> DressedAsCiphertext() => new()
    {
        { "two-line preamble", PgpMime("This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n" + Marker + "\n", RealArmor()) },
        { "a preamble of plaintext", PgpMime(Marker + " meet at noon\n", RealArmor()) },
        { "a 900-byte preamble", PgpMime(Marker + new string('x', 900) + "\n", RealArmor()) },
        { "the note twice", PgpMime("This is a multi-part message in MIME format.\nThis is a multi-part message in MIME format.\n", RealArmor()) },
        { "only a checksum line", PgpMime("", "-----BEGIN PGP MESSAGE-----\n\n=/abi\n-----END PGP MESSAGE-----\n") },
        { "base64 of plaintext", PgpMime("", Base64Armor(Encoding.ASCII.GetBytes(Marker + " the plan is on"))) },
        { "base64 of plaintext, inline", Inline(Base64Armor(Encoding.ASCII.GetBytes(Marker + " the plan is on"))) },
        { "a literal data packet", Inline(Base64Armor([0xCB, 0x10, (byte)'b', 0, 0, 0, 0, 0, .. Encoding.ASCII.GetBytes("secret plan")])) },
        { "a comment of plaintext", PgpMime("", RealArmor("Comment: " + Marker + " meet at noon\n")) },
        { "a comment of plaintext, inline", Inline(RealArmor("Comment: " + Marker + "\n")) },
        { "an unknown armor header", Inline(RealArmor("X-Note: " + Marker + "\n")) },
        { "too many header lines", Inline(RealArmor("Version: 1\nVersion: 2\nVersion: 3\nVersion: 4\n")) },
        { "a wrong checksum", Inline(RealArmor().Replace("=/abi", "=AAAA", StringComparison.Ordinal)) },
        { "a truncated message", Inline(RealArmor().Replace("IQLfdn05wZmMpKwNVsq1\n", "", StringComparison.Ordinal).Replace("=/abi\n", "", StringComparison.Ordinal)) },
        { "text after the end line", Inline(RealArmor() + Marker + "\n") },
        { "a part description of plaintext", PgpMime("", RealArmor(), "Content-Description: " + Marker + " meet at noon\n") },
        { "an X- field in a part", PgpMime("", RealArmor(), "X-Note: " + Marker + "\n") },
        { "a parameter no client writes", PgpMime("", RealArmor(), "Content-Disposition: inline; note=\"" + Marker + "\"\n") },
        { "a long file name", PgpMime("", RealArmor(), "Content-Disposition: attachment; filename=\"" + Marker + new string('x', 40) + ".asc\"\n") },
    };

    [Theory]
    [MemberData(nameof(DressedAsCiphertext))]
    public async Task Plaintext_dressed_as_ciphertext_is_encrypted_held_whole_and_streamed(string what, string message)
    {
        var input = Encoding.ASCII.GetBytes(message);
        foreach (var limit in new[] { MessageEncryptionOptions.Default.Limits.MaxClassifyBytes, 64, 0 })
        {
            var options = MessageEncryptionOptions.Default with { Limits = MessageEncryptionOptions.Default.Limits with { MaxClassifyBytes = limit } };
            var (result, output) = await RunAsync(input, options);
            Assert.True(result.Action == MessageAction.Encrypted, $"{what} (classify limit {limit}) passed as {result.Reason}");
            Assert.DoesNotContain(Marker, OutsideTheCiphertext(output), StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string> RealCiphertext() => new()
    {
        { "PGP/MIME, no preamble", PgpMime("", RealArmor()) },
        { "PGP/MIME, Thunderbird's note", PgpMime("This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n", RealArmor()) },
        { "PGP/MIME, KMail's note and blank lines", PgpMime("\nThis is an OpenPGP/MIME encrypted message (RFC 2440 and 3156)\n\n", RealArmor()) },
        { "inline, Version and a URL comment", Inline(RealArmor("Version: GnuPG v2\nComment: GPGTools - https://gpgtools.org\n")) },
        { "inline, no checksum", Inline(RealArmor().Replace("=/abi\n", "", StringComparison.Ordinal)) },
        { "PGP/MIME, Thunderbird's part headers", PgpMime("", RealArmor(),
            "Content-Description: OpenPGP encrypted message\nContent-Disposition: inline; filename=\"encrypted.asc\"\n") },
    };

    [Theory]
    [MemberData(nameof(RealCiphertext))]
    public async Task Real_ciphertext_passes_unchanged_held_whole_and_streamed(string what, string message)
    {
        var input = Encoding.ASCII.GetBytes(message);
        foreach (var limit in new[] { MessageEncryptionOptions.Default.Limits.MaxClassifyBytes, 64, 0 })
        {
            var options = MessageEncryptionOptions.Default with { Limits = MessageEncryptionOptions.Default.Limits with { MaxClassifyBytes = limit } };
            var (result, output) = await RunAsync(input, options);
            Assert.True(result.Action == MessageAction.AlreadyEncrypted, $"{what} (classify limit {limit}) was encrypted: {result.Reason}");
            Assert.Equal(input, output);
        }
    }
}
