namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>An account the harness created in the users table.</summary>
/// <param name="Email">The lower-case address (also the IMAP and SASL login).</param>
/// <param name="Password">The clear-text password, for logging in.</param>
/// <param name="Maildir">users.maildir, relative to <see cref="MailStack.MailRoot"/>.</param>
/// <param name="Key">The account's key.</param>
public sealed record MailAccount(string Email, string Password, string Maildir, TestKey Key);
