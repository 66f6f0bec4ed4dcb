using System.Text;
using Mailseal.Core.Messages;

namespace Mailseal.Core.Tests.Messages;

/// <summary>Options and failure behaviour of the pipeline, with the real encryptor and gpg decrypting.</summary>
[Collection(PipelineCollection.Name)]
public sealed class MessageEncryptorTests(OracleKeys keys) : IClassFixture<OracleKeys>
{
    private const string Message =
        "Received: from a by b; Sun, 22 Nov 2026 02:40:11 +0000\r\n"
        + "DKIM-Signature: v=1; d=example.net;\r\n\tb=abc\r\n"
        + "Authentication-Results: mx.example.org; dkim=pass\r\n"
        + "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
        + "MIME-Version: 1.0\r\nContent-Type: text/plain;\r\n charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHallo.\r\n";

    private async Task<(MessageEncryptionResult Result, string Output)> RunAsync(string input, MessageEncryptionOptions options)
    {
        var output = new MemoryStream();
        var result = await new MessageEncryptor(new PgpContentEncryptor()).EncryptAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(input)), output, [keys.Recipient], options, CancellationToken.None);
        return (result, Encoding.UTF8.GetString(output.ToArray()));
    }

    private async Task<string> DecryptAsync(string output) =>
        Encoding.UTF8.GetString(await keys.DecryptAsync("gpg", MessageBytes.ExtractArmor(Encoding.UTF8.GetBytes(output))));

    [Theory]
    [InlineData(DkimSignaturePolicy.Rename, "X-Original-DKIM-Signature: v=1; d=example.net;\r\n\tb=abc\r\n")]
    [InlineData(DkimSignaturePolicy.Keep, "DKIM-Signature: v=1; d=example.net;\r\n\tb=abc\r\n")]
    [InlineData(DkimSignaturePolicy.Drop, "")]
    public async Task Dkim_signature_policy_and_authentication_results_kept(DkimSignaturePolicy policy, string expected)
    {
        var (_, output) = await RunAsync(Message, MessageEncryptionOptions.Default with { DkimSignature = policy });
        Assert.StartsWith("Received: from a by b; Sun, 22 Nov 2026 02:40:11 +0000\r\n" + expected
            + "Authentication-Results: mx.example.org; dkim=pass\r\nFrom:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Protect_headers_copies_the_authored_fields_inside_with_hp_cipher()
    {
        var (_, output) = await RunAsync(Message, MessageEncryptionOptions.Default with { ProtectHeaders = true });
        Assert.Contains("\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n", output, StringComparison.Ordinal);
        var inner = await DecryptAsync(output);
        Assert.Equal(
            "From: Bob <bob@example.net>\r\nTo: alice@example.org\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
            + "HP-Outer: From: Bob <bob@example.net>\r\nHP-Outer: To: alice@example.org\r\nHP-Outer: Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
            + "Content-Type: text/plain;\r\n charset=utf-8; hp=\"cipher\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHallo.\r\n", inner);
    }

    [Fact]
    public async Task Hide_subject_shows_dots_outside_and_records_them_in_hp_outer()
    {
        var (_, output) = await RunAsync(Message, MessageEncryptionOptions.Default with { HideSubject = true });
        Assert.Contains("\r\nSubject: ...\r\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Gr=C3", output, StringComparison.Ordinal);
        var inner = await DecryptAsync(output);
        Assert.Contains("\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n", inner, StringComparison.Ordinal);
        Assert.Contains("\r\nHP-Outer: Subject: ...\r\n", inner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Protect_headers_without_content_type_declares_text_plain()
    {
        var (_, output) = await RunAsync("From: a@b\nSubject: s\n\nbody\n", MessageEncryptionOptions.Default with { ProtectHeaders = true });
        var inner = await DecryptAsync(output);
        Assert.Equal("From: a@b\nSubject: s\nHP-Outer: From: a@b\nHP-Outer: Subject: s\nContent-Type: text/plain; hp=\"cipher\"\n\nbody\n", inner);
    }

    [Fact]
    public async Task A_failing_input_leaves_the_output_empty()
    {
        var output = new MemoryStream();
        var input = new FailingStream(Encoding.ASCII.GetBytes("From: a@b\nContent-Type: application/octet-stream\n\n" + new string('x', 200_000)), failAfter: 150_000);
        await Assert.ThrowsAsync<IOException>(() => new MessageEncryptor(new PgpContentEncryptor()).EncryptAsync(
            input, output, [keys.Recipient], MessageEncryptionOptions.Default with { SpoolMemoryThreshold = 1000 }, CancellationToken.None));
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public async Task The_pipeline_is_reusable_and_concurrent()
    {
        var encryptor = new MessageEncryptor(new PgpContentEncryptor());
        var tasks = Enumerable.Range(0, 16).Select(async i =>
        {
            var output = new MemoryStream();
            var input = Encoding.ASCII.GetBytes($"From: a@b\nSubject: {i}\nContent-Type: text/plain\n\nmessage {i}\n");
            await encryptor.EncryptAsync(new MemoryStream(input), output, [keys.Recipient], MessageEncryptionOptions.Default, CancellationToken.None);
            return (input, output.ToArray());
        }).ToList();
        foreach (var (input, output) in await Task.WhenAll(tasks))
            Assert.Equal(MessageBytes.ExpectedInner(input), await keys.DecryptAsync("gpg", MessageBytes.ExtractArmor(output)));
    }

    /// <summary>Serves <c>data</c> and throws once <c>failAfter</c> bytes were read: a sender that hangs up, a disk that fails.</summary>
    private sealed class FailingStream(byte[] data, int failAfter) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= failAfter)
                throw new IOException("simulated read failure");
            var n = Math.Min(buffer.Length, failAfter - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
