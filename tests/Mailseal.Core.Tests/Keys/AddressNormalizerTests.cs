using Mailseal.Core.Keys;

namespace Mailseal.Core.Tests.Keys;

public sealed class AddressNormalizerTests
{
    [Theory]
    [InlineData("bob@example.org", "bob", null, "example.org")]
    [InlineData("Bob@Example.ORG", "bob", null, "example.org")]
    [InlineData("<Bob+Lists@example.org>", "bob", "+lists", "example.org")]
    [InlineData("bob+a+b@example.org.", "bob", "+a+b", "example.org")]
    [InlineData("+tag@example.org", "+tag", null, "example.org")]
    [InlineData("  j.doe@example.org ", "j.doe", null, "example.org")]
    [InlineData("\"Bob\"@example.org", "bob", null, "example.org")] // quoted, as Postfix's SMTP client may send it to filterd
    [InlineData("\"b\\\"ob\"@example.org", "b\"ob", null, "example.org")]
    [InlineData("J\u00dcRGEN@B\u00fccher.example", "j\u00fcrgen", null, "xn--bcher-kva.example")] // the domain in its A-label form (DomainNames)
    public void Normalizes_case_brackets_and_extension(string input, string local, string? extension, string domain)
    {
        NormalizedAddress a = new AddressNormalizer("+").Normalize(input);
        Assert.Equal(new NormalizedAddress(local, extension, domain), a);
    }

    [Fact]
    public void Several_delimiters_split_at_the_first_one_and_candidates_try_the_full_address_first()
    {
        NormalizedAddress a = new AddressNormalizer("+-").Normalize("bob-work+x@example.org");
        Assert.Equal("bob@example.org", a.Address);
        Assert.Equal("bob-work+x@example.org", a.FullAddress);
        Assert.Equal(["bob-work+x@example.org", "bob@example.org"], a.Candidates);

        NormalizedAddress none = new AddressNormalizer(string.Empty).Normalize("bob+x@example.org");
        Assert.Equal(["bob+x@example.org"], none.Candidates);
    }

    [Theory]
    [InlineData("", "empty address")]
    [InlineData("../../etc/passwd@example.org", "invalid character")]
    [InlineData("a/b@example.org", "invalid character")]
    [InlineData("a\\b@example.org", "invalid character")]
    [InlineData("a\0b@example.org", "invalid character")]
    [InlineData("a\nb@example.org", "invalid character")]
    [InlineData("a b@example.org", "invalid character")]
    [InlineData("a..b@example.org", "\"..\"")]
    [InlineData(".hidden@example.org", "\"..\" or a leading")]
    [InlineData("bob@exa..mple.org", "\"..\"")]
    [InlineData("bob@", "is not an address")]
    [InlineData("@example.org", "is not an address")]
    [InlineData("bob", "is not an address")]
    [InlineData("bob@exa_mple.org", "invalid domain")]
    [InlineData("bob@[127.0.0.1]", "invalid domain")]
    public void Rejects_unsafe_or_malformed_addresses(string input, string reason)
    {
        var normalizer = new AddressNormalizer();
        Assert.False(normalizer.TryNormalize(input, out NormalizedAddress? result, out string? error));
        Assert.Null(result);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.Throws<FormatException>(() => normalizer.Normalize(input));
    }

    [Fact]
    public void Rejects_overlong_addresses()
    {
        var normalizer = new AddressNormalizer();
        Assert.False(normalizer.TryNormalize(new string('a', 250) + "@example.org", out _, out string? error));
        Assert.Contains("longer than 254", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("@")]
    [InlineData("/")]
    [InlineData(".")]
    [InlineData(" ")]
    public void Rejects_delimiters_that_would_break_addresses(string delimiter) =>
        Assert.Throws<ArgumentException>(() => new AddressNormalizer(delimiter));
}
