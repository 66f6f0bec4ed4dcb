using Mailseal.Core.Messages;
using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Messages;

/// <summary>
/// The streaming check against the in-memory one on every corpus message, fed in blocks of
/// every awkward size: it never calls ciphertext what the in-memory check calls plaintext,
/// and it recognises every already encrypted message of the corpus.
/// </summary>
public sealed class StreamingClassifierTests
{
    private static string Root => Path.Combine(AppContext.BaseDirectory, "TestData", "messages");

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var folder in new[] { "passthrough", "encrypt" })
        {
            foreach (var f in Directory.GetFiles(Path.Combine(Root, folder), "*.eml").Order(StringComparer.Ordinal))
            {
                foreach (var block in new[] { 1, 7, 64, 4096 })
                    data.Add(Path.Combine(folder, Path.GetFileName(f)), block);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Agrees_with_the_in_memory_check_whatever_the_block_size(string name, int block)
    {
        var message = File.ReadAllBytes(Path.Combine(Root, name));
        var limits = MimeLimits.Default;
        var headers = HeaderParser.Parse(message, limits, out var consumed);
        if (headers.Status != HeaderBlockStatus.Complete || MessageClassifier.ClassifyByHeaders(headers, limits) is not null)
            return; // decided by the header block alone: the streaming check is never asked
        var body = message.AsSpan(consumed);
        var whole = MessageClassifier.Classify(headers, message.AsMemory(consumed), limits);

        var streaming = StreamingClassifier.TryStart(headers, limits);
        var verdict = new MessageClassification(false, "not started");
        if (streaming is not null)
        {
            var open = true;
            for (var i = 0; i < body.Length && open; i += block)
                open = streaming.Feed(body.Slice(i, Math.Min(block, body.Length - i)));
            verdict = open ? streaming.Finish() : new MessageClassification(false, "refused");
        }

        if (verdict.AlreadyEncrypted)
            Assert.True(whole.AlreadyEncrypted, $"streaming says {verdict.Reason}, in memory {whole.Reason}");
        if (name.StartsWith("passthrough", StringComparison.Ordinal))
        {
            Assert.True(verdict.AlreadyEncrypted, $"streaming refused an already encrypted message: {verdict.Reason}");
            Assert.Equal(whole.Reason, verdict.Reason);
        }
    }

    [Theory]
    [InlineData("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b\n\n"
        + "--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--b\nContent-Type: application/octet-stream\n\n"
        + "-----BEGIN PGP MESSAGE-----\n\nwcBMA0l4\n-----END PGP MESSAGE-----\n--b--\nsecret epilogue\n")]
    [InlineData("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b\n\n"
        + "--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--b\nContent-Type: application/octet-stream\n\n"
        + "-----BEGIN PGP MESSAGE-----\n\nwcBMA0l4\n-----END PGP MESSAGE-----\n")]
    [InlineData("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b\n\n"
        + "--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
        + "-----BEGIN PGP MESSAGE-----\n\nwcBMA0l4\n-----END PGP MESSAGE-----\n--b--\n")]
    [InlineData("Content-Type: multipart/mixed; boundary=b\n\n"
        + "--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n\n-----BEGIN PGP MESSAGE-----\n\nwcBMA0l4\n-----END PGP MESSAGE-----\n--c--\n--b--\n")]
    [InlineData("Content-Type: text/plain\n\n-----BEGIN PGP MESSAGE-----\n\nwcBMA0l4\n-----END PGP MESSAGE-----\nP.S. see you\n")]
    public void Epilogues_missing_ends_encodings_nesting_and_trailing_text_are_plaintext(string message)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(message);
        var headers = HeaderParser.Parse(bytes, MimeLimits.Default, out var consumed);
        var streaming = StreamingClassifier.TryStart(headers, MimeLimits.Default);
        Assert.NotNull(streaming);
        var open = streaming.Feed(bytes.AsSpan(consumed));
        Assert.False(open && streaming.Finish().AlreadyEncrypted);
    }

    [Fact]
    public void A_long_preamble_is_refused()
    {
        var preamble = new string('x', PreambleCheck.MaxBytes + 10);
        var bytes = System.Text.Encoding.ASCII.GetBytes("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b\n\n" + preamble + "\n--b\n");
        var headers = HeaderParser.Parse(bytes, MimeLimits.Default, out var consumed);
        var streaming = StreamingClassifier.TryStart(headers, MimeLimits.Default)!;
        Assert.False(streaming.Feed(bytes.AsSpan(consumed)));
    }
}
