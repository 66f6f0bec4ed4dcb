using System.Net;
using Mailseal.Dns.Spf;

namespace Mailseal.Dns.Tests.Spf;

/// <summary>The macro examples of RFC 7208 section 7.4, and the syntax rules of section 7.1.</summary>
public sealed class SpfMacroTests
{
    private static SpfMacroContext Context(string ip) => new()
    {
        Sender = "strong-bad@email.example.com",
        LocalPart = "strong-bad",
        SenderDomain = "email.example.com",
        Domain = "email.example.com",
        Client = IPAddress.Parse(ip),
        Helo = "mx.example.org",
        ReceivingHost = "receiver.example.net",
        Timestamp = 1700000000,
        ValidatedName = (_, _) => Task.FromResult("mx.example.org"),
    };

    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com")]
    [InlineData("%{o}", "email.example.com")]
    [InlineData("%{d}", "email.example.com")]
    [InlineData("%{d4}", "email.example.com")]
    [InlineData("%{d3}", "email.example.com")]
    [InlineData("%{d2}", "example.com")]
    [InlineData("%{d1}", "com")]
    [InlineData("%{dr}", "com.example.email")]
    [InlineData("%{d2r}", "example.email")]
    [InlineData("%{l}", "strong-bad")]
    [InlineData("%{l-}", "strong.bad")]
    [InlineData("%{lr}", "strong-bad")]
    [InlineData("%{lr-}", "bad.strong")]
    [InlineData("%{l1r-}", "strong")]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
    [InlineData("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com")]
    [InlineData("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net")]
    [InlineData("%{p}.%{h}", "mx.example.org.mx.example.org")]
    [InlineData("a%%b%_c%-d", "a%b c%20d")]
    public async Task Rfc7208_examples_expand_for_ipv4(string macro, string expected)
    {
        Assert.Equal(expected, await SpfMacro.ExpandAsync(macro, Context("192.0.2.3"), explanation: false, CancellationToken.None));
    }

    [Fact]
    public async Task Rfc7208_example_expands_for_ipv6()
    {
        string expanded = await SpfMacro.ExpandAsync("%{ir}.%{v}._spf.%{d2}", Context("2001:db8::cb01"), explanation: false, CancellationToken.None);

        // Nibble case differs from the RFC's example (we write upper-case hex as pyspf and the
        // openspf suite do); DNS names compare case-insensitively.
        Assert.Equal("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", expanded, ignoreCase: true);
    }

    [Fact]
    public async Task Explanation_only_letters_and_url_escaping_work_in_exp_text()
    {
        string text = await SpfMacro.ExpandAsync("%{c} %{r} %{t} %{S}", Context("2001:db8::cb01"), explanation: true, CancellationToken.None);

        Assert.Equal("2001:db8::cb01 receiver.example.net 1700000000 strong-bad%40email.example.com", text);
    }

    [Theory]
    [InlineData("%{c}")]
    [InlineData("%{r}.example.com")]
    [InlineData("%{t}")]
    [InlineData("%{x}")]
    [InlineData("%{d0}")]
    [InlineData("%{d")]
    [InlineData("%x")]
    [InlineData("abc%")]
    [InlineData("%{d2r+-/x}")]
    public void Malformed_or_exp_only_macros_are_permerror_in_a_domain_spec(string spec)
    {
        SpfException ex = Assert.Throws<SpfException>(() => SpfMacro.ValidateDomainSpec(spec));
        Assert.Equal(SpfResultCode.PermError, ex.Code);
    }

    [Theory]
    [InlineData("example")]
    [InlineData("example.123")]
    [InlineData("example.com/")]
    [InlineData("")]
    public void A_domain_spec_must_end_in_a_macro_or_a_top_label(string spec)
    {
        Assert.Throws<SpfException>(() => SpfMacro.ValidateDomainSpec(spec));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("example.com.")]
    [InlineData("_spf.%{d}")]
    [InlineData("%{ir}.%{v}._spf.%{d2}")]
    [InlineData("xn--bcher-kva.example")]
    public void Valid_domain_specs_pass(string spec)
    {
        SpfMacro.ValidateDomainSpec(spec);
    }

    [Fact]
    public async Task Expanded_domains_are_cut_from_the_left_to_253_characters()
    {
        SpfMacroContext context = Context("192.0.2.3");
        string longLocal = string.Join('.', Enumerable.Repeat(new string('x', 60), 6));
        var ctx = new SpfMacroContext
        {
            Sender = longLocal + "@example.com",
            LocalPart = longLocal,
            SenderDomain = context.SenderDomain,
            Domain = context.Domain,
            Client = context.Client,
            Helo = context.Helo,
            ReceivingHost = context.ReceivingHost,
            Timestamp = context.Timestamp,
            ValidatedName = context.ValidatedName,
        };

        string expanded = await SpfMacro.ExpandAsync("%{l}.example.com", ctx, explanation: false, CancellationToken.None);

        Assert.True(expanded.Length <= 253);
        Assert.EndsWith(".example.com", expanded, StringComparison.Ordinal);
        Assert.StartsWith("xxx", expanded, StringComparison.Ordinal);
    }
}
