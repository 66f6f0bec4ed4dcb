namespace Mailseal.Core.Messages;

/// <summary>Whether a message is already encrypted, and why the classifier thinks so.</summary>
/// <param name="AlreadyEncrypted">True: pass the message on byte-identical.</param>
/// <param name="Reason">A few words for the log.</param>
public sealed record MessageClassification(bool AlreadyEncrypted, string Reason);
