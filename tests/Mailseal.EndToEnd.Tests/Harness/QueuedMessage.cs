namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>One message in Postfix's queue, from <c>postqueue -j</c>.</summary>
/// <param name="QueueName">active, deferred, hold, incoming or maildrop.</param>
/// <param name="QueueId">The queue id.</param>
/// <param name="Sender">The envelope sender.</param>
/// <param name="MessageSize">The size in bytes.</param>
/// <param name="Recipients">The recipients still to deliver.</param>
public sealed record QueuedMessage(string QueueName, string QueueId, string Sender, long MessageSize, IReadOnlyList<QueuedRecipient> Recipients);
