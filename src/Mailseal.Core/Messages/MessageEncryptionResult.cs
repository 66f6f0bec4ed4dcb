namespace Mailseal.Core.Messages;

/// <summary>The outcome of <see cref="MessageEncryptor.EncryptAsync"/>.</summary>
/// <param name="Action">Encrypted or passed through as already encrypted.</param>
/// <param name="Reason">Why, in a few words for the log (e.g. "PGP/MIME", "inline PGP", "encrypted whole: MIME depth over 32").</param>
/// <param name="InputBytes">Bytes read from the input.</param>
/// <param name="OutputBytes">Bytes written to the output.</param>
public sealed record MessageEncryptionResult(MessageAction Action, string Reason, long InputBytes, long OutputBytes);
