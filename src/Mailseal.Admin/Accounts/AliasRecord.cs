namespace Mailseal.Admin.Accounts;

/// <summary>One row of <c>aliases</c>.</summary>
/// <param name="Alias">The address that is forwarded.</param>
/// <param name="Email">The account it delivers to.</param>
public sealed record AliasRecord(string Alias, string Email);
