namespace Mailseal.Core.Keys;

/// <summary>An envelope address as a key directory looks it up.</summary>
/// <param name="LocalPart">Lower-cased local part without its extension (<c>bob</c> for <c>Bob+Lists@Example.ORG</c>).</param>
/// <param name="Extension">The extension with its delimiter (<c>+lists</c>), or null.</param>
/// <param name="Domain">Lower-cased domain without a trailing dot.</param>
public sealed record NormalizedAddress(string LocalPart, string? Extension, string Domain)
{
    /// <summary>The address without extension: <c>bob@example.org</c>.</summary>
    public string Address => LocalPart + "@" + Domain;

    /// <summary>The address with its extension: <c>bob+lists@example.org</c>.</summary>
    public string FullAddress => LocalPart + Extension + "@" + Domain;

    /// <summary>
    /// The names to look up, in order: the full address first, then without its extension, as
    /// Postfix does for its own tables (a key for <c>bob+lists@</c> may exist on purpose).
    /// </summary>
    public IReadOnlyList<string> Candidates => Extension is null ? [Address] : [FullAddress, Address];

    /// <inheritdoc />
    public override string ToString() => FullAddress;
}
