namespace Mailseal.Core.Messages;

/// <summary>What the pipeline did with a message; the word is the syslog line's action=.</summary>
public enum MessageAction
{
    /// <summary>Encrypted to PGP/MIME (action=encrypted).</summary>
    Encrypted,

    /// <summary>Already encrypted (PGP/MIME, inline PGP, S/MIME, Exchange-mangled PGP/MIME): passed on byte-identical (action=already-encrypted).</summary>
    AlreadyEncrypted,
}
