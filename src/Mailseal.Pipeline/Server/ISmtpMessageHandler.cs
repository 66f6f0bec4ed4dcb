using Mailseal.Pipeline.Smtp;

namespace Mailseal.Pipeline.Server;

/// <summary>What <see cref="SmtpListener"/> does with each message.</summary>
public interface ISmtpMessageHandler
{
    /// <summary>
    /// Handles one message while it streams in. <paramref name="message"/> yields the DATA
    /// section, dot-unstuffed, CRLF line ends as sent, and ends at the client's final dot; reading
    /// faster than the client sends waits for it (and a slow reader slows the client: TCP
    /// back-pressure, nothing is buffered beyond one read buffer). The reply is sent to the end of
    /// DATA only once this returns: return 250 only after the message is safe elsewhere. A throw
    /// is answered 451 4.3.0; whatever the handler did not read is read and discarded first.
    /// </summary>
    /// <param name="envelope">Sender, recipients and the client's attributes.</param>
    /// <param name="message">The message; do not dispose it.</param>
    /// <param name="cancellationToken">Fires when the server is killed (not on a graceful stop).</param>
    /// <returns>The reply to the end of DATA (for LMTP: to every recipient).</returns>
    Task<SmtpReply> HandleAsync(SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken);
}
