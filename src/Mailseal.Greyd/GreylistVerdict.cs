namespace Mailseal.Greyd;

/// <summary>The store's answer for one triplet.</summary>
/// <param name="Outcome">What to do.</param>
/// <param name="Remaining">Seconds still to wait (postgrey's <c>%s</c>), for <see cref="GreylistOutcome.Greylisted"/>.</param>
/// <param name="Delayed">Seconds since the triplet was first seen (postgrey's <c>%t</c> in the X-Greylist header).</param>
public readonly record struct GreylistVerdict(GreylistOutcome Outcome, long Remaining, long Delayed);
