using System.Text;
using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Mime;

public sealed class HeaderParserTests
{
    private static HeaderBlock Parse(string text, out int consumed, MimeLimits? limits = null) =>
        HeaderParser.Parse(Encoding.Latin1.GetBytes(text), limits ?? MimeLimits.Default, out consumed);

    [Fact]
    public void Fields_keep_their_raw_bytes_folding_and_crlf()
    {
        var text = "Subject: one\r\n two\r\nX-A:b\r\n\r\nbody";
        var block = Parse(text, out var consumed);
        Assert.Equal(2, block.Headers.Count);
        Assert.Equal("Subject: one\r\n two\r\n", Encoding.Latin1.GetString(block.Headers[0].RawBytes.Span));
        Assert.Equal("one two", block.Headers[0].Value);
        Assert.Equal("b", block.Headers[1].Value);
        Assert.Equal("\r\n", Encoding.Latin1.GetString(block.Separator.Span));
        Assert.Equal("\r\n", block.NewLine);
        Assert.Equal(text.Length - 4, consumed);
        Assert.Equal(HeaderBlockStatus.Complete, block.Status);
    }

    [Fact]
    public void Lf_only_input_is_reported_as_lf()
    {
        var block = Parse("A: 1\nB: 2\n\nbody\n", out var consumed);
        Assert.Equal("\n", block.NewLine);
        Assert.Equal(11, consumed);
    }

    [Fact]
    public void A_line_that_is_not_a_field_starts_the_body_without_a_separator()
    {
        var block = Parse("A: 1\nthis is body text\nB: 2\n", out var consumed);
        Assert.Single(block.Headers);
        Assert.True(block.Separator.IsEmpty);
        Assert.Equal(5, consumed);
    }

    [Fact]
    public void A_leading_continuation_line_is_body()
    {
        var block = Parse(" x\nA: 1\n", out var consumed);
        Assert.Empty(block.Headers);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void The_last_field_without_a_newline_is_kept()
    {
        var block = Parse("A: 1\nB: 2", out var consumed);
        Assert.Equal(2, block.Headers.Count);
        Assert.False(block.Headers[1].EndsWithNewLine);
        Assert.Equal(9, consumed);
    }

    [Fact]
    public void Nul_and_8bit_bytes_in_values_are_tolerated_and_kept()
    {
        var bytes = "X-N: a\0b\xff\n\n"u8.ToArray();
        bytes[9] = 0xff;
        var block = HeaderParser.Parse(bytes, MimeLimits.Default, out _);
        Assert.Equal(bytes[..^1], block.Headers[0].RawBytes.ToArray());
    }

    [Fact]
    public void Obsolete_blank_before_the_colon_is_accepted()
    {
        var block = Parse("Content-Type : text/html\n\n", out _);
        Assert.Equal("Content-Type", block.Headers[0].Name);
        Assert.Equal("text/html", block.GetContentType()!.MimeType);
    }

    [Fact]
    public void Too_many_fields_is_a_limit_not_an_error()
    {
        var text = string.Concat(Enumerable.Range(0, 20).Select(i => $"X-{i}: v\n")) + "\nbody";
        var block = Parse(text, out _, MimeLimits.Default with { MaxHeaderCount = 5 });
        Assert.Equal(HeaderBlockStatus.LimitExceeded, block.Status);
        Assert.Equal(5, block.Headers.Count);
        Assert.Contains("more than 5", block.LimitReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_over_the_line_limit_is_a_limit()
    {
        var block = Parse("A: " + new string('x', 500) + "\n\n", out _, MimeLimits.Default with { MaxLineLength = 100 });
        Assert.Equal(HeaderBlockStatus.LimitExceeded, block.Status);
    }

    [Fact]
    public async Task The_stream_reader_stops_at_the_block_size_limit_without_reading_everything()
    {
        var huge = Encoding.ASCII.GetBytes("X: " + new string('y', 5_000_000));
        var input = new MemoryStream(huge);
        var read = await MimeHeaderReader.ReadAsync(input, MimeLimits.Default with { MaxHeaderBlockSize = 64 * 1024 }, CancellationToken.None);
        Assert.Equal(HeaderBlockStatus.LimitExceeded, read.Block.Status);
        Assert.True(input.Position < 200_000, $"read {input.Position} bytes");
        Assert.Equal(input.Position, read.HeaderBytes.Length);
    }

    [Fact]
    public async Task The_stream_reader_returns_the_body_prefix_it_read_past_the_block()
    {
        var bytes = Encoding.ASCII.GetBytes("A: 1\r\nB: 2\r\n\r\n" + new string('b', 40_000));
        var read = await MimeHeaderReader.ReadAsync(new MemoryStream(bytes), MimeLimits.Default, CancellationToken.None);
        Assert.Equal(14, read.HeaderBytes.Length);
        Assert.True(read.BodyPrefix.Span.IndexOfAnyExcept((byte)'b') < 0);
    }

    [Fact]
    public void Generated_fields_fold_at_78_and_rename_keeps_the_value_bytes()
    {
        var h = Header.Create("References", string.Join(' ', Enumerable.Range(0, 10).Select(i => $"<message-{i}@example.org>")), "\r\n");
        var text = Encoding.ASCII.GetString(h.RawBytes.Span);
        Assert.All(text.Split("\r\n"), line => Assert.True(line.Length <= 78, line));
        Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
        var dkim = Parse("DKIM-Signature: v=1;\n\tb=abc\n\n", out _).Headers[0].Rename("X-Original-DKIM-Signature");
        Assert.Equal("X-Original-DKIM-Signature: v=1;\n\tb=abc\n", Encoding.ASCII.GetString(dkim.RawBytes.Span));
    }

    [Fact]
    public void AppendToValue_inserts_before_the_terminator()
    {
        var h = Parse("Content-Type: text/plain;\r\n charset=utf-8\r\n\r\n", out _).Headers[0].AppendToValue("; hp=\"cipher\"", "\r\n");
        Assert.Equal("Content-Type: text/plain;\r\n charset=utf-8; hp=\"cipher\"\r\n", Encoding.ASCII.GetString(h.RawBytes.Span));
    }

    [Theory]
    [InlineData("From: a@b\rTo: c@d\rSubject: s\r\rSECRET body\r", 0)]
    [InlineData("Received: x\nFrom: a@b\rTo: c@d\r\rSECRET\n", 1)]
    [InlineData("Received: x\r\nSubject: hi\r\r\nSECRET\r\n", 1)]
    [InlineData("Received: x\nSubject: one\n two\rSECRET\n\nbody\n", 1)]
    public void A_field_with_a_bare_cr_ends_the_parse_and_only_the_fields_before_it_are_fields(string text, int fields)
    {
        var block = Parse(text, out var consumed);
        Assert.Equal(HeaderBlockStatus.LimitExceeded, block.Status);
        Assert.Equal(HeaderParser.BareCr, block.LimitReason);
        Assert.Equal(fields, block.Headers.Count);
        Assert.All(block.Headers, h => Assert.DoesNotContain("SECRET", Encoding.Latin1.GetString(h.RawBytes.Span), StringComparison.Ordinal));
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData("A: 1\n\rjunk\n")]
    [InlineData("A: 1\n\nbody\rwith bare cr\n")]
    public void A_bare_cr_in_the_body_or_a_line_that_is_no_field_is_body(string text)
    {
        var block = Parse(text, out _);
        Assert.Equal(HeaderBlockStatus.Complete, block.Status);
        Assert.Single(block.Headers);
    }
}
