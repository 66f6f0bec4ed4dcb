namespace Mailseal.Pipeline.Smtp;

/// <summary>How a filter hands a message back to Postfix. Both are atomic: the message is queued
/// only when the final "." of the SMTP dialogue is accepted.</summary>
public enum ReinjectionMode
{
    /// <summary><c>sendmail -bs</c>: the SMTP dialogue over sendmail's stdin/stdout (needs no listener).</summary>
    SendmailBs,

    /// <summary>SMTP to a loopback smtpd that has no content_filter (e.g. 127.0.0.1:10028).</summary>
    Smtp,
}
