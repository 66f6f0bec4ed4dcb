using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Mime;

public sealed class ContentTypeTests
{
    [Fact]
    public void Type_subtype_and_parameters_with_comments_and_quotes()
    {
        var ct = ContentType.Parse("Multipart/Encrypted (pgp); protocol=\"application/pgp-encrypted\"; boundary=\"a\\\"b\"");
        Assert.Equal("multipart", ct.MediaType);
        Assert.Equal("encrypted", ct.MediaSubtype);
        Assert.Equal("application/pgp-encrypted", ct.GetParameter("PROTOCOL"));
        Assert.Equal("a\"b", ct.Boundary);
    }

    [Fact]
    public void Rfc2231_continuations_and_charset_are_decoded()
    {
        var ct = ContentType.Parse("application/pdf; name*0*=utf-8''Gr%C3%BC%C3%9Fe%20; name*1*=aus%20K%C3%B6ln; name*2=.pdf");
        Assert.Equal("Grüße aus Köln.pdf", ct.GetParameter("name"));
    }

    [Fact]
    public void Rfc2231_single_encoded_value_wins_over_the_plain_one()
    {
        var cd = ContentDisposition.Parse("attachment; filename=\"old.txt\"; filename*=iso-8859-1'de'%E9t%E9.txt");
        Assert.Equal("attachment", cd.Disposition);
        Assert.Equal("été.txt", cd.FileName);
    }

    [Fact]
    public void Continuations_out_of_order_are_sorted_and_a_gap_ends_the_value()
    {
        Assert.Equal("abc", ContentType.Parse("text/plain; x*1=b; x*0=a; x*2=c").GetParameter("x"));
        Assert.Equal("a", ContentType.Parse("text/plain; x*0=a; x*2=c").GetParameter("x"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("text")]
    [InlineData(";;;===garbage")]
    [InlineData("/plain")]
    public void Values_without_type_and_subtype_do_not_parse(string value)
    {
        Assert.False(ContentType.TryParse(value, out _));
        Assert.Throws<FormatException>(() => ContentType.Parse(value));
    }

    [Fact]
    public void A_parameter_flood_is_cut_at_the_limit()
    {
        var value = "text/plain" + string.Concat(Enumerable.Range(0, 10_000).Select(i => $"; p{i}=v"));
        var ct = ContentType.Parse(value, MimeLimits.Default with { MaxParameters = 50 });
        Assert.Equal(50, ct.Parameters.Count);
    }

    [Fact]
    public void Unquoted_values_with_specials_are_read_leniently()
    {
        var ct = ContentType.Parse("multipart/mixed; boundary=----=_Part_1_2.3; charset=utf-8");
        Assert.Equal("----=_Part_1_2.3", ct.Boundary);
        Assert.Equal("utf-8", ct.GetParameter("charset"));
    }
}
