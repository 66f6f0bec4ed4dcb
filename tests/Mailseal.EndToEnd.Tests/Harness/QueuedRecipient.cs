namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>One recipient of a queued message, from <c>postqueue -j</c>.</summary>
/// <param name="Address">The recipient address.</param>
/// <param name="DelayReason">Why delivery was deferred, or null.</param>
public sealed record QueuedRecipient(string Address, string? DelayReason);
