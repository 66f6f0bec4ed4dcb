namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>The daemons the harness runs.</summary>
public enum MailService
{
    /// <summary>PostgreSQL 15, the accounts database.</summary>
    Postgres,

    /// <summary>Dovecot: IMAP, LMTP and the SASL auth socket.</summary>
    Dovecot,

    /// <summary>Postfix: smtp and submission listeners, the queue.</summary>
    Postfix,

    /// <summary>SpamAssassin's spamd.</summary>
    Spamd,

    /// <summary>unbound, answering the zones tests give it.</summary>
    Unbound,
}
