namespace Mailseal.EndToEnd.Tests.Pipe;

/// <summary>One message the <see cref="SmtpSink"/> accepted.</summary>
/// <param name="Sender">The envelope sender.</param>
/// <param name="Recipients">The envelope recipients.</param>
/// <param name="Data">The message as received, dot-unstuffed, CRLF line ends.</param>
/// <param name="Forward">The XFORWARD attributes Postfix's smtp client sent for this transaction (xtext as sent; empty if none).</param>
public sealed record SinkMessage(string Sender, IReadOnlyList<string> Recipients, string Data, IReadOnlyDictionary<string, string> Forward);
