using Mailseal.Core.Logging;
using Mailseal.Pipeline.Spam;

namespace Mailseal.Pipeline.Processing;

/// <summary>What <see cref="MessageProcessor"/> did with one message.</summary>
/// <param name="Recipients">One outcome per envelope recipient.</param>
/// <param name="Spam">spamd's verdict, or null when no check ran.</param>
/// <param name="SpamCheckNote">Why no check ran ("over spam_max_size", "spamd unavailable: ..."), or null.</param>
/// <param name="Scrubbed">Fields the scrubber changed.</param>
public sealed record ProcessResult(IReadOnlyList<RecipientOutcome> Recipients, SpamVerdict? Spam, string? SpamCheckNote, IReadOnlyList<string> Scrubbed)
{
    /// <summary>
    /// The syslog line for one recipient's outcome, the same from mailseal-pipe and
    /// mailseal-filterd: <c>QUEUEID: to=&lt;...&gt;, action=..., key=..., size=N, spam=..., scrubbed=..., queued_as=...</c>.
    /// </summary>
    public MailLogLine LogLine(string? queueId, RecipientOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var line = new MailLogLine(queueId).To(outcome.Recipient).Action(outcome.Action, outcome.Reason);
        if (outcome.KeyFingerprint is not null)
            line.Key(outcome.KeyFingerprint);
        line.Size(outcome.Size);
        if (Spam is { } v)
            line.Add("spam", FormattableString.Invariant($"{(v.IsSpam ? "yes" : "no")}/{v.Score:0.0}"));
        else if (SpamCheckNote is not null)
            line.Add("spam", SpamCheckNote);
        if (Scrubbed.Count > 0)
            line.Add("scrubbed", string.Join(',', Scrubbed));
        if (outcome.QueueId is not null)
            line.Add("queued_as", outcome.QueueId);
        return line;
    }
}
