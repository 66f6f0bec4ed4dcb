using Mailseal.Pipeline.Smtp;

namespace Mailseal.Pipeline.Server;

/// <summary>One mail transaction as the client gave it, handed to an <see cref="ISmtpMessageHandler"/> with the message.</summary>
/// <param name="Sender">The envelope sender; empty for the null sender.</param>
/// <param name="Recipients">The accepted recipients, in order.</param>
/// <param name="Helo">What the client said in EHLO/HELO/LHLO.</param>
/// <param name="Peer">The connection's remote address, for logs.</param>
/// <param name="Forward">XFORWARD attributes the client sent for this transaction (empty if none).</param>
public sealed record SmtpEnvelope(string Sender, IReadOnlyList<string> Recipients, string Helo, string Peer, XForward Forward)
{
    /// <summary>The DSN parameters (RET, ENVID; NOTIFY and ORCPT per recipient) the client sent; empty if none.</summary>
    public DsnParameters Dsn { get; init; } = new();
}
