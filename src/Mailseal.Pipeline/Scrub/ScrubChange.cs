namespace Mailseal.Pipeline.Scrub;

/// <summary>One thing the scrubber did, or declined to do, to one field (for the log line).</summary>
/// <param name="Field">The field name as written.</param>
/// <param name="Action"><c>dropped</c>, <c>anonymized</c>, or <c>kept-dkim</c> (a rule matched but a DKIM-Signature covers the field).</param>
public sealed record ScrubChange(string Field, string Action);
