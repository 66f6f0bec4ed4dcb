using Mailseal.Core.OpenPgp;

namespace Mailseal.Encrypt;

/// <summary>What the key lookup found for one recipient address.</summary>
/// <param name="Address">The address as given on the command line.</param>
/// <param name="IsLocal">True when the address is a local account (local domain, or a key file exists).</param>
/// <param name="Recipient">The usable encryption key, or null.</param>
/// <param name="Reason">Why there is no usable key (missing, expired, revoked, sign-only, unreadable); null when there is one.</param>
internal sealed record RecipientKey(string Address, bool IsLocal, EncryptionRecipient? Recipient, string? Reason);
