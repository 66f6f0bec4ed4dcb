using Mailseal.Core;
using Mailseal.Core.Cli;

namespace Mailseal.Maildir.Tests;

public sealed class DovecotToolsTests
{
    [Theory]
    [InlineData("/var/vmail/bob", "maildir:~/Maildir", "/var/vmail/bob/Maildir")]
    [InlineData("/var/vmail/bob", "maildir:~/Maildir:INDEX=/var/index/%u", "/var/vmail/bob/Maildir")]
    [InlineData("/var/vmail/bob", "maildir:/srv/mail/bob", "/srv/mail/bob")]
    public void The_maildir_is_the_home_and_the_mail_location_doveadm_reports(string home, string location, string expected) =>
        Assert.Equal(expected, DovecotTools.MaildirPath("bob@example.org", home, location));

    [Theory]
    [InlineData("/var/vmail/bob", "mdbox:~/mdbox")]
    [InlineData("/var/vmail/bob", "")]
    [InlineData("", "maildir:~/Maildir")]
    [InlineData("/var/vmail/bob", "maildir:/srv/mail/%u")]
    [InlineData("/var/vmail/bob", "maildir:Maildir")]
    public void A_location_it_cannot_resolve_asks_for_maildir(string home, string location)
    {
        var e = Assert.Throws<MailsealException>(() => DovecotTools.MaildirPath("bob@example.org", home, location));
        Assert.Contains("give --maildir", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.TempFail, e.ExitCode);
    }

    // doveadm's own words (Dovecot 2.3.19: run as vmail, and its source for the auth-master client)
    [Theory]
    [InlineData("doveconf: Fatal: Error in configuration file /etc/dovecot/dovecot.conf line 22: Couldn't open include file /etc/dovecot/conf.d/10-mailseal-auth.conf: Permission denied", "cannot read Dovecot's configuration")]
    [InlineData("doveconf: Fatal: Error in configuration file /etc/dovecot/conf.d/10-ssl.conf line 3: ssl_key: Can't open file /etc/dovecot/private/dovecot.key: Permission denied", "cannot read Dovecot's configuration")]
    [InlineData("doveadm(bob@example.org): Error: User lookup failed: Internal error occurred. Refer to server log for more information.", "auth-userdb")]
    [InlineData("doveadm: Error: auth-master: User listing returned failure", "auth-userdb")]
    public void A_failure_of_the_mail_users_wiring_says_what_to_do(string error, string hint)
    {
        string explained = DovecotTools.Explain(error, 110);
        Assert.Contains(hint, explained, StringComparison.Ordinal);
        Assert.Contains("docs/maildir.md", explained, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", explained, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Error: Mailbox Sent: Mailbox doesn't exist: Sent", 110u)]
    [InlineData("doveadm: Error: auth-master: User listing returned failure", 0u)]
    public void Other_failures_and_root_get_no_hint(string error, uint euid) =>
        Assert.Equal(string.Empty, DovecotTools.Explain(error, euid));
}
