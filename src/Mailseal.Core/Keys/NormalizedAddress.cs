namespace Mailseal.Core.Keys;

/// <summary>An envelope address as a key directory looks it up.</summary>
/// <param name="LocalPart">Lower-cased local part without its extension (<c>bob</c> for <c>Bob+Lists@Example.ORG</c>).</param>
/// <param name="Extension">The extension with its delimiter (<c>+lists</c>), or null.</param>
/// <param name="Domain">The domain as <see cref="DomainNames"/> normalises it: lower-case A-label, no trailing dot.</param>
public sealed record NormalizedAddress(string LocalPart, string? Extension, string Domain)
{
    /// <summary>The address without extension: <c>bob@example.org</c>.</summary>
    public string Address => LocalPart + "@" + Domain;

    /// <summary>The address with its extension: <c>bob+lists@example.org</c>.</summary>
    public string FullAddress => LocalPart + Extension + "@" + Domain;

    /// <summary>
    /// The names to look up, in order: the full address first, then without its extension, as
    /// Postfix does for its own tables (a key for <c>bob+lists@</c> may exist on purpose). For
    /// an internationalised domain the A-label spellings come first, then the same names with
    /// the U-label domain (<c>bob@mäil.example</c>), so a key file or users row written either
    /// way is found.
    /// </summary>
    public IReadOnlyList<string> Candidates
    {
        get
        {
            string[] ascii = Extension is null ? [Address] : [FullAddress, Address];
            string unicode = DomainNames.ToUnicode(Domain);
            if (string.Equals(unicode, Domain, StringComparison.Ordinal))
            {
                return ascii;
            }

            string local = LocalPart + "@" + unicode;
            return Extension is null ? [.. ascii, local] : [.. ascii, LocalPart + Extension + "@" + unicode, local];
        }
    }

    /// <inheritdoc />
    public override string ToString() => FullAddress;
}
