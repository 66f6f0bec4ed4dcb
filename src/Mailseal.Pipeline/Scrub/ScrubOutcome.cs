namespace Mailseal.Pipeline.Scrub;

/// <summary>What scrubbing one message did.</summary>
/// <param name="Changes">Each field dropped, anonymised or kept for DKIM's sake.</param>
/// <param name="HeaderLimitExceeded">The header block was over a MIME limit and passed through unchanged.</param>
public sealed record ScrubOutcome(IReadOnlyList<ScrubChange> Changes, bool HeaderLimitExceeded)
{
    /// <summary>True when the message left exactly as it came.</summary>
    public bool Unchanged => HeaderLimitExceeded || Changes.All(c => c.Action == "kept-dkim");
}
