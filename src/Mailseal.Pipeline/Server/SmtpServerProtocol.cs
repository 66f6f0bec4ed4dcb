namespace Mailseal.Pipeline.Server;

/// <summary>The dialect <see cref="SmtpListener"/> speaks.</summary>
public enum SmtpServerProtocol
{
    /// <summary>SMTP (RFC 5321): EHLO/HELO, one reply to the end of DATA.</summary>
    Smtp,

    /// <summary>LMTP (RFC 2033): LHLO, one reply per accepted recipient after the end of DATA.</summary>
    Lmtp,
}
