namespace Mailseal.Core.Messages;

/// <summary>
/// What happens to DKIM-Signature fields when the body is encrypted: the signature covers the
/// body, so it can no longer verify; keeping it as is makes the message look forged.
/// </summary>
public enum DkimSignaturePolicy
{
    /// <summary>Renamed to X-Original-DKIM-Signature (default): kept for the record, ignored by verifiers.</summary>
    Rename,

    /// <summary>Removed.</summary>
    Drop,

    /// <summary>Kept unchanged (it will fail to verify).</summary>
    Keep,
}
