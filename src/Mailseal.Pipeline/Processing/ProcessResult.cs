using Mailseal.Pipeline.Spam;

namespace Mailseal.Pipeline.Processing;

/// <summary>What <see cref="MessageProcessor"/> did with one message.</summary>
/// <param name="Recipients">One outcome per envelope recipient.</param>
/// <param name="Spam">spamd's verdict, or null when no check ran.</param>
/// <param name="SpamCheckNote">Why no check ran ("over spam_max_size", "spamd unavailable: ..."), or null.</param>
/// <param name="Scrubbed">Fields the scrubber changed.</param>
public sealed record ProcessResult(IReadOnlyList<RecipientOutcome> Recipients, SpamVerdict? Spam, string? SpamCheckNote, IReadOnlyList<string> Scrubbed);
