namespace Mailseal.Admin.Accounts;

/// <summary>One row of <c>users</c> as the admin sees it (never the password hash itself).</summary>
/// <param name="Email">The address, also the login.</param>
/// <param name="KeyFingerprint">users.key_fingerprint, or null.</param>
/// <param name="Maildir">users.maildir, relative to the mail root.</param>
/// <param name="Created">users.created.</param>
/// <param name="PasswordScheme">The scheme prefix of the stored hash (<c>ARGON2ID</c>), or <c>NONE</c>.</param>
/// <param name="NeedsRehash">The hash is unsalted or plain and must be replaced at the next password change.</param>
/// <param name="Aliases">Addresses that deliver to this account.</param>
public sealed record UserRecord(string Email, string? KeyFingerprint, string Maildir, DateTimeOffset Created, string PasswordScheme, bool NeedsRehash, IReadOnlyList<string> Aliases);
