using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Keys;

namespace Mailseal.Core.Tests.Keys;

public sealed class EnvelopeRecipientsTests
{
    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("<>")]
    [InlineData("bob")]
    [InlineData("bob@")]
    [InlineData("@example.org")]
    [InlineData("bob@exa mple.org")]
    [InlineData("bob@example..org")]
    [InlineData("bob\n@example.org")]
    [InlineData("bob@ma\u0308il.example")]
    public void An_empty_or_malformed_recipient_is_a_wiring_mistake_deferred_with_4_3_5(string recipient)
    {
        var e = Assert.Throws<MailsealException>(() => EnvelopeRecipients.Validate(["alice@example.org", recipient]));
        Assert.Equal("4.3.5", e.EnhancedStatusCode);
        Assert.Equal(ExitCodes.TempFail, e.ExitCode);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void No_recipient_at_all_is_the_same_mistake()
    {
        var e = Assert.Throws<MailsealException>(() => EnvelopeRecipients.Validate([]));
        Assert.Equal("4.3.5", e.EnhancedStatusCode);
        Assert.StartsWith("no recipient given", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bob@example.org")]
    [InlineData("<Bob+x@Example.ORG>")]
    [InlineData("bob@mäil.example")]
    [InlineData("bob@xn--mil-qla.example")]
    [InlineData("\"bob smith\"@example.org")]
    [InlineData("postmaster@[192.0.2.1]")]
    public void Addresses_pass(string recipient) => EnvelopeRecipients.Validate([recipient]);
}
