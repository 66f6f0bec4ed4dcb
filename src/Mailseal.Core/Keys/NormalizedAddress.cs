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
    /// way is found. Last, when the address has a character whose full case folding differs
    /// from its lower case (<c>ß</c>, <c>ſ</c>, ...), the folded spellings: the address Postfix
    /// looks up and delivers to (<c>bob@fass.example</c> for <c>bob@faß.example</c>).
    /// </summary>
    public IReadOnlyList<string> Candidates
    {
        get
        {
            string[] ascii = Extension is null ? [Address] : [FullAddress, Address];
            string unicode = DomainNames.ToUnicode(Domain);
            var names = new List<string>(ascii);
            if (!string.Equals(unicode, Domain, StringComparison.Ordinal))
            {
                names.AddRange(Extension is null ? [LocalPart + "@" + unicode] : [LocalPart + Extension + "@" + unicode, LocalPart + "@" + unicode]);
            }

            // Lower-cased after folding, as every key file name is (folding maps Cherokee to upper case).
            string foldedDomain = CaseFolding.Fold(unicode).ToLowerInvariant();
            string foldedLocal = CaseFolding.Fold(LocalPart).ToLowerInvariant();
            string? foldedExtension = Extension is null ? null : CaseFolding.Fold(Extension).ToLowerInvariant();
            if (!string.Equals(foldedDomain, unicode, StringComparison.Ordinal)
                || !string.Equals(foldedLocal, LocalPart, StringComparison.Ordinal)
                || !string.Equals(foldedExtension, Extension, StringComparison.Ordinal))
            {
                var domains = new List<string>(2);
                if (DomainNames.TryNormalize(foldedDomain, out string? foldedAscii, out _))
                {
                    domains.Add(foldedAscii);
                }

                domains.Add(foldedDomain);
                foreach (string d in domains)
                {
                    if (foldedExtension is not null)
                    {
                        names.Add(foldedLocal + foldedExtension + "@" + d);
                    }

                    names.Add(foldedLocal + "@" + d);
                }
            }

            return names.Distinct(StringComparer.Ordinal).ToList();
        }
    }

    /// <inheritdoc />
    public override string ToString() => FullAddress;
}
