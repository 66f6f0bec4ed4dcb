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
    [InlineData("example.org..")] // Postfix strips one trailing dot, not dot-dot (rewrite.c, resolve.c)
    [InlineData(".example.org")]
    [InlineData("..")]
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

    /// <summary>
    /// Code points IDNA 2008 does not allow in a label (issue #10: a domain that fails IDNA is a
    /// tempfail, never "not local"). Several are dropped or mapped by UTS #46, so other software
    /// reads the domain as another one (a soft hyphen inside mäil.example leaves mäil.example).
    /// </summary>
    [Theory]
    [InlineData("mä\u00ADil.example")] // soft hyphen (UTS #46: ignored)
    [InlineData("mä\u200Bil.example")] // zero-width space
    [InlineData("mä\u200Cil.example")] // zero-width non-joiner
    [InlineData("mä\u200Dil.example")] // zero-width joiner
    [InlineData("mä\u2060il.example")] // word joiner
    [InlineData("mä\uFEFFil.example")] // byte order mark
    [InlineData("mä\u202Eil.example")] // right-to-left override
    [InlineData("mä\u034Fil.example")] // combining grapheme joiner
    [InlineData("mä\uFE0Fil.example")] // variation selector 16
    [InlineData("mä\u3164il.example")] // Hangul filler
    [InlineData("mä\u2028il.example")] // line separator
    [InlineData("mä\u00A0il.example")] // no-break space
    [InlineData("\u2603.example")] // snowman: a symbol, valid in IDNA 2003 only
    [InlineData("mäil\u00B2.example")] // superscript two (UTS #46 maps it to 2)
    [InlineData("mä\u2164il.example")] // Roman numeral five (a letter number)
    [InlineData("mä\uE000il.example")] // private use
    [InlineData("mä\u0378il.example")] // unassigned
    [InlineData("mä\uD800il.example")] // an unpaired surrogate
    [InlineData("mä!il.example")]
    [InlineData("mä\u00B7il.example")] // middle dot, outside its one allowed context
    public void Refuses_code_points_idna_2008_disallows(string escaped)
    {
        string domain = System.Text.RegularExpressions.Regex.Unescape(escaped);
        Assert.False(DomainNames.TryNormalize(domain, out string? ascii, out string? error), $"{escaped} normalised to {ascii}");
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Equal("4.3.5", Assert.Throws<Mailseal.Core.Cli.MailsealException>(() => EnvelopeRecipients.Validate(["bob@" + domain])).EnhancedStatusCode);
    }

    [Theory]
    [InlineData("пример.example", "xn--e1afmkfd.example")] // Cyrillic
    [InlineData("münchen-straße.example", "xn--mnchen-strae-v9a90b.example")]
    [InlineData("mixedпример.example", "xn--mixed-3weu6azakd.example")] // mixed scripts: a registry's concern, not IDNA's
    public void Letters_of_any_script_are_kept(string domain, string expected) =>
        Assert.Equal(expected, DomainNames.Normalize(domain));

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
