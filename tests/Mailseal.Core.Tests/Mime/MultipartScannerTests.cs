using System.Text;
using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Mime;

public sealed class MultipartScannerTests
{
    private static List<string> Parts(string body, string boundary, out MultipartScanner scanner)
    {
        scanner = new MultipartScanner(Encoding.ASCII.GetBytes(body), boundary);
        var parts = new List<string>();
        while (scanner.TryReadNextPart(out var part))
            parts.Add(Encoding.ASCII.GetString(part.Span));
        return parts;
    }

    [Fact]
    public void Parts_exclude_the_line_break_before_each_delimiter()
    {
        var parts = Parts("preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\nepilogue", "b", out var s);
        Assert.Equal(["A: 1\r\n\r\none", "\r\ntwo"], parts);
        Assert.True(s.IsClosed);
        Assert.True(s.IsWellFormed);
    }

    [Fact]
    public void A_delimiter_must_start_a_line_and_may_carry_padding()
    {
        var parts = Parts("--b \nx --b\n--bb\n--b--\n", "b", out var s);
        Assert.Equal(["x --b\n--bb"], parts);
        Assert.True(s.IsWellFormed);
    }

    [Fact]
    public void An_unclosed_body_is_reported_not_thrown()
    {
        var parts = Parts("--b\none\n--b\ntwo\n", "b", out var s);
        Assert.Equal(["one", "two\n"], parts);
        Assert.False(s.IsWellFormed);
    }

    [Fact]
    public void A_body_without_the_boundary_has_no_parts()
    {
        Assert.Empty(Parts("no delimiters here\n", "b", out var s));
        Assert.False(s.IsWellFormed);
    }

    [Fact]
    public void Boundaries_longer_than_70_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new MultipartScanner(ReadOnlyMemory<byte>.Empty, new string('x', 71)));
    }
}
