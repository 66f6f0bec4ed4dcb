using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Mailseal.Core.Keys;

/// <summary>
/// The one routine that turns a domain into the form every comparison and lookup uses: the
/// lower-case ASCII (A-label, <c>xn--</c>) form of IDNA 2008 / UTS #46, without a trailing dot.
/// <c>local_domains</c>, recipients, key file names and database lookups all go through it, so
/// <c>bob@mäil.example</c> (as Postfix hands it to pipe(8) after an SMTPUTF8 session),
/// <c>bob@MÄIL.example</c> and <c>bob@xn--mil-qla.example</c> are one address.
/// <para>
/// The tools run with InvariantGlobalization (no ICU), where <see cref="IdnMapping"/> does
/// Punycode but none of UTS #46's mapping and <see cref="string.Normalize()"/> does nothing. The
/// mapping steps that matter for mail are done here by hand: the ideographic full stops are
/// dots, full-width ASCII is ASCII, upper case is lower case (simple case mapping, which
/// invariant mode has). What cannot be done without Unicode's composition tables, a letter
/// followed by a combining diacritical mark (a decomposed "ä", which NFC would compose), is
/// refused rather than guessed: such a domain could be the local one in another spelling, so
/// reading it as "not local" could let plaintext through.
/// </para>
/// </summary>
public static class DomainNames
{
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    /// <summary>Normalises <paramref name="domain"/>; throws with the reason when it is not a domain name.</summary>
    /// <exception cref="FormatException">Not a domain name (or not one this routine can normalise safely).</exception>
    public static string Normalize(string domain) =>
        TryNormalize(domain, out string? ascii, out string? error) ? ascii : throw new FormatException(error);

    /// <summary>
    /// The lower-case A-label form of <paramref name="domain"/> (one trailing dot removed); false
    /// with a one-line reason when it is not a domain name. An address literal such as
    /// <c>[192.0.2.1]</c> is returned as it is.
    /// </summary>
    public static bool TryNormalize(string domain, [NotNullWhen(true)] out string? ascii, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ascii = null;
        if (domain.Length >= 2 && domain[0] == '[' && domain[^1] == ']')
        {
            if (domain.AsSpan(1, domain.Length - 2).ContainsAny("[]\\ ") || domain.Any(char.IsControl))
            {
                error = "invalid address literal";
                return false;
            }

            ascii = domain.ToLowerInvariant();
            error = null;
            return true;
        }

        var mapped = new StringBuilder(domain.Length);
        foreach (char c in domain)
        {
            if (c is '\u3002' or '\uFF0E' or '\uFF61')
            {
                mapped.Append('.'); // UTS #46 maps the ideographic full stops to '.'
            }
            else if (c is >= '\uFF01' and <= '\uFF5E')
            {
                mapped.Append((char)(c - 0xFEE0)); // full-width ASCII
            }
            else
            {
                mapped.Append(c);
            }
        }

        string text = mapped.ToString().ToLowerInvariant();
        if (text.EndsWith('.'))
        {
            text = text[..^1];
        }

        if (text.Length == 0)
        {
            error = "empty domain";
            return false;
        }

        // One trailing dot is the root (Postfix strips it too); an empty label anywhere else
        // (example.org.., .example.org, example..org) is no domain name. Postfix leaves such a
        // domain alone and matches none of its own against it; to the filter it is a wiring
        // mistake (4.3.5), never "not local".
        if (text[0] == '.' || text[^1] == '.' || text.Contains("..", StringComparison.Ordinal))
        {
            error = "empty label in the domain";
            return false;
        }

        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] is >= '\u0300' and <= '\u036F' && i > 0 && text[i - 1] != '.')
            {
                error = "the domain is not in Unicode normal form C (a letter followed by a combining mark)";
                return false;
            }
        }

        if (FirstDisallowed(text) is { } disallowed)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"the domain holds U+{disallowed:X4} ({Rune.GetUnicodeCategory(new Rune(disallowed))}), which IDNA 2008 does not allow in a domain name");
            return false;
        }

        string result;
        try
        {
            result = Idn.GetAscii(text).ToLowerInvariant();

            // A label already in xn-- form must decode, and encode back to itself: one spelling per domain.
            if (result.Contains("xn--", StringComparison.Ordinal) && !string.Equals(Idn.GetAscii(Idn.GetUnicode(result)), result, StringComparison.Ordinal))
            {
                error = "a label in xn-- form is not the canonical encoding of its name";
                return false;
            }
        }
        catch (ArgumentException e)
        {
            error = "not a domain name (" + e.Message.Split(" (", 2)[0].TrimEnd('.') + ")";
            return false;
        }

        if (!Configuration.SharedValues.IsDomainName(result))
        {
            error = "not a domain name";
            return false;
        }

        ascii = result;
        error = null;
        return true;
    }

    /// <summary>
    /// The form Postfix compares <paramref name="ascii"/> (a domain <see cref="TryNormalize"/>
    /// returned) in: the full case folding of its U-label form (<see cref="CaseFolding"/>).
    /// <c>faß.example</c> and <c>fass.example</c> have one key, as they are one domain to Postfix.
    /// </summary>
    internal static string FoldKey(string ascii) => CaseFolding.Fold(ToUnicode(ascii));

    /// <summary>
    /// The first code point (beyond ASCII, whose rules IdnMapping's STD3 check applies) that
    /// cannot be in an IDNA 2008 label, or null. Only letters, combining marks and decimal digits
    /// are allowed: format characters (soft hyphen, zero-width space and joiners, bidi controls),
    /// default-ignorable code points (variation selectors, Hangul fillers), spaces, symbols,
    /// punctuation, other numbers, private-use, unassigned and unpaired surrogate code points are
    /// not. UTS #46 drops some of these (a soft hyphen inside <c>mä&#xAD;il.example</c> leaves
    /// <c>mäil.example</c>, which is what other software then delivers to) and maps others, with
    /// tables the tools do not carry without ICU; refusing them keeps "not local" from being a
    /// guess. Mixed scripts are not refused: IDNA 2008 leaves that to registries, and such a
    /// domain is one name like any other.
    /// </summary>
    private static int? FirstDisallowed(string text)
    {
        foreach (Rune r in text.EnumerateRunes())
        {
            if (r.IsAscii)
            {
                continue;
            }

            if (r.Value is 0x034F or (>= 0x180B and <= 0x180F) or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF)
                or 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0xFFFD)
            {
                return r.Value; // default-ignorable (or a replacement character: an unpaired surrogate)
            }

            switch (Rune.GetUnicodeCategory(r))
            {
                case UnicodeCategory.LowercaseLetter:
                case UnicodeCategory.UppercaseLetter:
                case UnicodeCategory.TitlecaseLetter:
                case UnicodeCategory.ModifierLetter:
                case UnicodeCategory.OtherLetter:
                case UnicodeCategory.NonSpacingMark:
                case UnicodeCategory.SpacingCombiningMark:
                case UnicodeCategory.DecimalDigitNumber:
                    continue;
                default:
                    return r.Value;
            }
        }

        return null;
    }

    /// <summary>
    /// The Unicode (U-label) form of a domain <see cref="TryNormalize"/> returned; the same
    /// string when it holds no xn-- label.
    /// </summary>
    public static string ToUnicode(string ascii)
    {
        ArgumentNullException.ThrowIfNull(ascii);
        if (!ascii.Contains("xn--", StringComparison.Ordinal))
        {
            return ascii;
        }

        try
        {
            return Idn.GetUnicode(ascii);
        }
        catch (ArgumentException)
        {
            return ascii;
        }
    }
}
