namespace Mailseal.Core.OpenPgp;

/// <summary>The outcome of <see cref="Certificate.SelectEncryptionKey"/>: a recipient, or why there is none.</summary>
public sealed class EncryptionKeySelection
{
    private EncryptionKeySelection(EncryptionRecipient? recipient, string? reason)
    {
        Recipient = recipient;
        Reason = reason;
    }

    /// <summary>Whether a usable encryption key was found.</summary>
    public bool IsUsable => Recipient is not null;

    /// <summary>The chosen key and the recipient's preferences, when usable.</summary>
    public EncryptionRecipient? Recipient { get; }

    /// <summary>Why the certificate cannot be encrypted to, in words an admin understands; null when usable.</summary>
    public string? Reason { get; }

    internal static EncryptionKeySelection Usable(EncryptionRecipient recipient) => new(recipient, null);

    internal static EncryptionKeySelection Unusable(string reason) => new(null, reason);
}
