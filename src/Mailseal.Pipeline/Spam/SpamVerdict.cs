namespace Mailseal.Pipeline.Spam;

/// <summary>What spamd said about one message.</summary>
/// <param name="IsSpam">spamd's verdict (score at or above the threshold).</param>
/// <param name="Score">The message's score.</param>
/// <param name="Threshold">The required score.</param>
/// <param name="Headers">
/// The X-Spam-* header fields spamd would add (X-Spam-Checker-Version, -Flag, -Level, -Status,
/// -Report...), each a complete field with its folding, lines ended by CRLF. Only these are
/// taken: the rest of spamd's rewritten header block (its Received line, and for spam under
/// report_safe a new Content-Type) would change the message and is ignored.
/// </param>
public sealed record SpamVerdict(bool IsSpam, double Score, double Threshold, IReadOnlyList<string> Headers);
