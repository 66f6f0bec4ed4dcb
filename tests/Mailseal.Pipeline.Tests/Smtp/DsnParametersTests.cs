using Mailseal.Pipeline.Smtp;

namespace Mailseal.Pipeline.Tests.Smtp;

/// <summary>
/// RFC 3461 parameters as a hostile client would send them: only valid values are kept, and
/// nothing can smuggle another parameter or a line into the re-injection dialogue.
/// </summary>
public class DsnParametersTests
{
    [Theory]
    [InlineData("NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+40example.org", "SUCCESS,FAILURE", "rfc822;bob+40example.org")]
    [InlineData("notify=never", "NEVER", null)]
    [InlineData("NOTIFY=delay", "DELAY", null)]
    [InlineData("ORCPT=utf-8;j\u00f6rg@example.org", null, "utf-8;j\u00f6rg@example.org")]
    public void Valid_recipient_parameters_are_kept(string parameters, string? notify, string? orcpt)
    {
        Assert.True(DsnParameters.TryParseRecipient(parameters, out var dsn, out var error), error);
        Assert.Equal(new RecipientDsn(notify, orcpt), dsn);
    }

    [Theory]
    [InlineData("NOTIFY=NEVER,SUCCESS")]
    [InlineData("NOTIFY=SUCCESS,SUCCESS")]
    [InlineData("NOTIFY=")]
    [InlineData("NOTIFY=SOMETIMES")]
    [InlineData("NOTIFY=SUCCESS NOTIFY=FAILURE")]
    [InlineData("ORCPT=bob@example.org")]
    [InlineData("ORCPT=rfc822;")]
    [InlineData("ORCPT=rfc822;a=b")]
    [InlineData("ORCPT=rfc822;a+4")]
    [InlineData("ORCPT=rfc822;a+zz")]
    [InlineData("ORCPT=rfc 822;a")]
    [InlineData("ORCPT=rfc822;a\u00e9")]
    [InlineData("ORCPT=utf-8;a\u0001b")]
    [InlineData("XFOO=1")]
    public void Invalid_recipient_parameters_are_refused(string parameters)
    {
        Assert.False(DsnParameters.TryParseRecipient(parameters, out var dsn, out var error));
        Assert.Null(dsn);
        Assert.NotNull(error);
    }

    [Fact]
    public void An_over_long_orcpt_is_refused()
    {
        string orcpt = "rfc822;" + new string('a', DsnParameters.MaxOriginalRecipientLength);
        Assert.False(DsnParameters.TryParseRecipient("ORCPT=" + orcpt, out _, out _));
    }

    [Theory]
    [InlineData("RET", "full", true)]
    [InlineData("RET", "HDRS", true)]
    [InlineData("RET", "BODY", false)]
    [InlineData("ENVID", "QQ314159+2B1", true)]
    [InlineData("ENVID", "has=equals", false)]
    [InlineData("ENVID", "", false)]
    public void Mail_parameters_are_validated(string name, string value, bool valid)
    {
        var dsn = new DsnParameters();
        Assert.True(dsn.TryTakeMailParameter(name, value, out var error));
        Assert.Equal(valid, error is null);
        Assert.Equal(valid, !dsn.IsEmpty);
    }

    [Fact]
    public void Other_mail_parameters_are_not_taken_and_duplicates_are_refused()
    {
        var dsn = new DsnParameters();
        Assert.False(dsn.TryTakeMailParameter("SIZE", "10", out _));
        Assert.True(dsn.TryTakeMailParameter("ENVID", new string('x', DsnParameters.MaxEnvelopeIdLength + 1), out var tooLong));
        Assert.NotNull(tooLong);
        Assert.True(dsn.TryTakeMailParameter("RET", "HDRS", out var first));
        Assert.Null(first);
        Assert.True(dsn.TryTakeMailParameter("RET", "FULL", out var second));
        Assert.NotNull(second);
        Assert.Equal(" RET=HDRS", dsn.MailParameters());
    }

    [Fact]
    public void Parameters_are_written_back_per_recipient_and_a_snapshot_survives_clear()
    {
        var dsn = new DsnParameters();
        Assert.True(dsn.TryTakeMailParameter("RET", "HDRS", out _));
        Assert.True(dsn.TryTakeMailParameter("ENVID", "abc+2Bdef", out _));
        dsn.Add("bob@example.org", new RecipientDsn("SUCCESS", "rfc822;bob@example.org"));
        dsn.Add("BOB@example.org", new RecipientDsn("NEVER", null));
        var snapshot = dsn.Snapshot();
        dsn.Clear();

        Assert.True(dsn.IsEmpty);
        Assert.Equal(" RET=HDRS ENVID=abc+2Bdef", snapshot.MailParameters());
        Assert.Equal(" NOTIFY=SUCCESS ORCPT=rfc822;bob@example.org", snapshot.RecipientParameters("Bob@Example.org"));
        Assert.Equal(string.Empty, snapshot.RecipientParameters("carol@example.org"));
    }
}
