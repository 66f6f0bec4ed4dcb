using System.Text;
using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Mime;

/// <summary>
/// Content-Type and Content-Disposition values as Mailseal reads them: MimeKit parses, our
/// limits bound. These pin what the classification relies on.
/// </summary>
public sealed class MimeFieldsTests
{
    private static MimeKit.ContentType? Type(string value, MimeLimits? limits = null) =>
        MimeFields.ParseContentType(Encoding.UTF8.GetBytes(" " + value + "\n"), limits ?? MimeLimits.Default);

    [Fact]
    public void Type_subtype_and_parameters_with_comments_and_quotes()
    {
        var ct = Type("Multipart/Encrypted (pgp); protocol=\"application/pgp-encrypted\"; boundary=\"a\\\"b\"")!;
        Assert.True(ct.IsMimeType("multipart", "encrypted"));
        Assert.Equal("application/pgp-encrypted", MimeFields.Parameter(ct, "PROTOCOL"));
        Assert.Equal("a\"b", ct.Boundary);
    }

    [Fact]
    public void A_folded_value_parses()
    {
        var ct = MimeFields.ParseContentType(" multipart/encrypted;\r\n\tprotocol=\"application/pgp-encrypted\";\r\n boundary=e\r\n"u8.ToArray(), MimeLimits.Default)!;
        Assert.Equal("e", ct.Boundary);
        Assert.Equal("application/pgp-encrypted", MimeFields.Parameter(ct, "protocol"));
    }

    [Fact]
    public void Rfc2231_continuations_and_charset_are_decoded()
    {
        var ct = Type("application/pdf; name*0*=utf-8''Gr%C3%BC%C3%9Fe%20; name*1*=aus%20K%C3%B6ln; name*2=.pdf")!;
        Assert.Equal("Grüße aus Köln.pdf", MimeFields.Parameter(ct, "name"));
    }

    [Fact]
    public void Rfc2231_encoded_filename_is_decoded()
    {
        var cd = MimeFields.ParseContentDisposition(" attachment; filename*=iso-8859-1'de'%E9t%E9.txt\n"u8.ToArray(), MimeLimits.Default)!;
        Assert.Equal("attachment", cd.Disposition);
        Assert.Equal("été.txt", cd.FileName);
    }

    [Fact]
    public void Continuations_out_of_order_are_joined()
    {
        Assert.Equal("abc", MimeFields.Parameter(Type("text/plain; x*1=b; x*0=a; x*2=c")!, "x"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(";;;===garbage")]
    [InlineData("/plain")]
    public void Values_without_type_and_subtype_do_not_parse(string value)
    {
        Assert.Null(Type(value));
    }

    [Fact]
    public void A_parameter_flood_is_not_parsed_at_all()
    {
        var value = "multipart/encrypted; boundary=b" + string.Concat(Enumerable.Range(0, 10_000).Select(i => $"; p{i}=v"));
        Assert.Null(Type(value, MimeLimits.Default with { MaxParameters = 50 }));
        Assert.NotNull(Type("text/plain" + string.Concat(Enumerable.Range(0, 50).Select(i => $"; p{i}=v")), MimeLimits.Default with { MaxParameters = 50 }));
    }

    [Fact]
    public void Unquoted_values_with_specials_are_read_leniently()
    {
        var ct = Type("multipart/mixed; boundary=----=_Part_1_2.3; charset=utf-8")!;
        Assert.Equal("----=_Part_1_2.3", ct.Boundary);
        Assert.Equal("utf-8", MimeFields.Parameter(ct, "charset"));
    }

    [Fact]
    public void Raw_text_is_not_rfc2047_decoded()
    {
        Assert.Equal("=?utf-8?q?OpenPGP_encrypted_message?=", MimeFields.RawText(" =?utf-8?q?OpenPGP_encrypted_message?=\r\n"u8));
        Assert.Equal("a b", MimeFields.RawText(" a\r\n b\r\n"u8));
    }
}
