using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Messages;

/// <summary>
/// What the message pipeline needs from OpenPGP: a stream that encrypts what is written to it
/// for the given recipients and writes an ASCII-armored OpenPGP message to the output. The
/// pipeline writes the inner MIME entity into it and disposes it to finish the message.
/// </summary>
public interface IContentEncryptor
{
    /// <summary>
    /// Opens an encrypting stream. Disposing it writes the trailers (armor tail included);
    /// <paramref name="output"/> stays open.
    /// </summary>
    Stream OpenEncryptingStream(Stream output, IReadOnlyList<EncryptionRecipient> recipients);
}
