namespace Mailseal.Pipeline.Processing;

/// <summary>What happened to one recipient's copy (one syslog line each).</summary>
/// <param name="Recipient">The envelope recipient.</param>
/// <param name="Action"><c>encrypted</c>, <c>already-encrypted</c> or <c>passed</c>.</param>
/// <param name="KeyFingerprint">The key it was encrypted to, if any.</param>
/// <param name="Reason">Why it passed, e.g. "not local".</param>
/// <param name="QueueId">The queue id Postfix gave the re-injected copy.</param>
/// <param name="Size">Bytes handed back to Postfix for this copy.</param>
public sealed record RecipientOutcome(string Recipient, string Action, string? KeyFingerprint, string? Reason, string? QueueId, long Size);
