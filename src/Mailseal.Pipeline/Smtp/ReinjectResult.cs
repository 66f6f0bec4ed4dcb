namespace Mailseal.Pipeline.Smtp;

/// <summary>A message Postfix accepted.</summary>
/// <param name="QueueId">The new queue id from "250 2.0.0 Ok: queued as ID", if the server said one.</param>
/// <param name="Reply">The reply to the final dot.</param>
public sealed record ReinjectResult(string? QueueId, SmtpReply Reply);
