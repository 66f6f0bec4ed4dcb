namespace Mailseal.Pipeline.Smtp;

/// <summary>
/// The DSN parameters of one recipient (RFC 3461 4.1, 4.2), as the client sent them on RCPT:
/// validated, upper-cased where the RFC is case-insensitive, the ORCPT xtext kept as it arrived.
/// </summary>
/// <param name="Notify">NEVER, or a comma list of SUCCESS, FAILURE, DELAY; null if not given.</param>
/// <param name="OriginalRecipient">ORCPT: <c>addr-type;xtext</c> as received; null if not given.</param>
public sealed record RecipientDsn(string? Notify, string? OriginalRecipient);
