using Mailseal.Core.Keys;

namespace Mailseal.Core.Tests.Keys;

/// <summary>One spelling per domain (IDNA A-label, lower case), under InvariantGlobalization as the tools run.</summary>
public sealed class DomainNamesTests
{
    [Theory]
    [InlineData("example.org", "example.org")]
    [InlineData("Example.ORG.", "example.org")]
    [InlineData("mäil.example", "xn--mil-qla.example")]
    [InlineData("MÄIL.Example", "xn--mil-qla.example")]
    [InlineData("xn--mil-qla.example", "xn--mil-qla.example")]
    [InlineData("XN--MIL-QLA.EXAMPLE", "xn--mil-qla.example")]
    [InlineData("ｍäｉｌ．example", "xn--mil-qla.example")]
    [InlineData("mäil。example", "xn--mil-qla.example")]
    [InlineData("faß.de", "xn--fa-hia.de")]
    [InlineData("παράδειγμα.δοκιμή", "xn--hxajbheg2az3al.xn--jxalpdlp")]
    [InlineData("[192.0.2.1]", "[192.0.2.1]")]
    public void Normalises_to_the_lower_case_a_label(string domain, string expected) =>
        Assert.Equal(expected, DomainNames.Normalize(domain));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("a..b")]
    [InlineData("-a.example")]
    [InlineData("ex ample.org")]
    [InlineData("ex_ample.org")]
    [InlineData("ma\u0308il.example")] // decomposed ä: NFC would compose it, which invariant globalization cannot
    [InlineData("xn--zz.example")]
    public void Refuses_what_is_not_a_domain_name(string domain)
    {
        Assert.False(DomainNames.TryNormalize(domain, out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void The_unicode_form_is_the_way_back() =>
        Assert.Equal("mäil.example", DomainNames.ToUnicode(DomainNames.Normalize("MÄIL.example")));

    [Fact]
    public void A_unicode_address_looks_up_both_spellings_a_label_first()
    {
        NormalizedAddress a = new AddressNormalizer("+").Normalize("Bob+x@Mäil.example");
        Assert.Equal(["bob+x@xn--mil-qla.example", "bob@xn--mil-qla.example", "bob+x@mäil.example", "bob@mäil.example"], a.Candidates);
    }
}
