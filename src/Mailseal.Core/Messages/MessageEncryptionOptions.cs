using Mailseal.Core.Mime;

namespace Mailseal.Core.Messages;

/// <summary>How <see cref="MessageEncryptor"/> shapes its output, and its limits.</summary>
public sealed record MessageEncryptionOptions
{
    /// <summary>The defaults: DKIM-Signature renamed, no header protection, 1 MiB in memory before spooling.</summary>
    public static MessageEncryptionOptions Default { get; } = new();

    /// <summary>MIME parsing limits.</summary>
    public MimeLimits Limits { get; init; } = MimeLimits.Default;

    /// <summary>What happens to DKIM-Signature fields (default: renamed to X-Original-DKIM-Signature).</summary>
    public DkimSignaturePolicy DkimSignature { get; init; } = DkimSignaturePolicy.Rename;

    /// <summary>
    /// RFC 9788 header protection: the encrypted part carries a copy of the message's header
    /// fields (and HP-Outer fields), its Content-Type marked <c>hp="cipher"</c>.
    /// </summary>
    public bool ProtectHeaders { get; init; }

    /// <summary>Replace the outer Subject with "..." (implies <see cref="ProtectHeaders"/>, so the real one is inside).</summary>
    public bool HideSubject { get; init; }

    /// <summary>
    /// Bytes of output (ciphertext and outer headers, never plaintext) held in memory before it
    /// moves to an unlinked 0600 temp file. Keeps memory flat for large messages.
    /// </summary>
    public int SpoolMemoryThreshold { get; init; } = 1024 * 1024;

    /// <summary>Where the spool file is created (default: the system temp directory).</summary>
    public string? SpoolDirectory { get; init; }
}
