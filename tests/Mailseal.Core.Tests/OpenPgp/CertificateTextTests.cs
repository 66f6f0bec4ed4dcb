using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

public sealed class CertificateTextTests
{
    [Theory]
    [InlineData("Alice Example <Alice@Example.ORG>", "alice@example.org")]
    [InlineData("Alice (work) <alice+mail@example.org>", "alice+mail@example.org")]
    [InlineData("bob@example.org", "bob@example.org")]
    [InlineData("  <carol@example.org>  ", "carol@example.org")]
    [InlineData("Dave <not-an-address>", null)]
    [InlineData("Eve Example", null)]
    [InlineData("Mallory <a@b.org> <evil@x>", "evil@x")]
    [InlineData("Trent <tr ent@example.org>", null)]
    [InlineData("Oscar <oscar@example..org>", null)]
    [InlineData("<@example.org>", null)]
    public void Email_is_the_addr_spec_of_the_user_id(string userId, string? expected)
        => Assert.Equal(expected, CertificateText.ExtractEmail(userId));

    [Fact]
    public void Reasons_are_safe_for_logs()
        => Assert.Equal("a?b", CertificateText.Printable("a\nb"));
}
