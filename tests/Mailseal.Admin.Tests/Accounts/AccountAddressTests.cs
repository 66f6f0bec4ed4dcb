using Mailseal.Admin.Accounts;

namespace Mailseal.Admin.Tests.Accounts;

public class AccountAddressTests
{
    [Theory]
    [InlineData("Bob@Example.ORG", "bob@example.org")]
    [InlineData("o'brien@example.org", "o'brien@example.org")]
    [InlineData("a.b+c@example.org", "a.b+c@example.org")]
    [InlineData("x/y@example.org", "x/y@example.org")]
    [InlineData("%u@example.org", "%u@example.org")]
    [InlineData("bob@bücher.example", "bob@xn--bcher-kva.example")]
    public void Addresses_are_stored_literally_lower_cased(string input, string expected) =>
        Assert.Equal(expected, AccountAddress.Parse(input));

    [Theory]
    [InlineData("bob;drop@example.org", "';'")]
    [InlineData("bob'--;DROP TABLE users@example.org", "space")]
    [InlineData("\"bob\"@example.org", "'\"'")]
    [InlineData("../../etc/passwd@example.org", "dot")]
    [InlineData("bob@../example.org", "bob@../example.org")]
    [InlineData("bob\0@example.org", "NUL")]
    [InlineData("bob @example.org", "space")]
    [InlineData("bob\n@example.org", "control")]
    [InlineData("bob", "local@domain")]
    [InlineData("@example.org", "local@domain")]
    [InlineData("bob@", "local@domain")]
    [InlineData("bob@localhost", "two labels")]
    [InlineData("bob@[192.0.2.1]", "address literal")]
    [InlineData("a..b@example.org", "dot")]
    [InlineData("jörg@example.org", "ASCII")]
    [InlineData("<bob@example.org>", "'<'")]
    public void Hostile_or_malformed_addresses_are_refused_with_the_reason(string input, string reason)
    {
        Assert.False(AccountAddress.TryParse(input, out var normalized, out var error));
        Assert.Null(normalized);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ten_kilobytes_are_refused_before_any_other_work()
    {
        Assert.False(AccountAddress.TryParse(new string('a', 10240) + "@example.org", out _, out var error));
        Assert.Contains("too long", error, StringComparison.Ordinal);
        Assert.False(AccountAddress.TryParse(new string('a', 65) + "@example.org", out _, out error));
        Assert.Contains("local part", error, StringComparison.Ordinal);
    }
}
