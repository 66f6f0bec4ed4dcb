using System.Diagnostics.CodeAnalysis;
using Mailseal.Core.Keys;

namespace Mailseal.Admin.Accounts;

/// <summary>
/// An account or alias address as the schema stores it: lower-case, <c>local@domain</c>, the
/// local part a dot-atom of RFC 5322 atext (letters, digits and <c>!#$%&amp;'*+-/=?^_`{|}~</c>,
/// dots not first, last or doubled), the domain normalised to its A-label form. Anything else
/// (quoted local parts, spaces, controls, NUL, <c>;</c>, <c>&lt;</c>, <c>"</c>, more than 64 or
/// 254 characters) is refused with the reason: such an address could not be delivered by
/// Postfix as a local account anyway, and refusing keeps it out of paths and logs. What is
/// accepted is stored literally (an apostrophe stays an apostrophe; SQL is parameterised).
/// </summary>
public static class AccountAddress
{
    /// <summary>The longest address (RFC 5321 path limit less the angle brackets).</summary>
    public const int MaxLength = 254;

    /// <summary>The longest local part (RFC 5321 4.5.3.1.1).</summary>
    public const int MaxLocalPartLength = 64;

    private const string Atext = "!#$%&'*+-/=?^_`{|}~";

    /// <summary>The normalised address; throws <see cref="FormatException"/> with the reason.</summary>
    public static string Parse(string address) =>
        TryParse(address, out string? normalized, out string? error) ? normalized : throw new FormatException(error);

    /// <summary>Normalises <paramref name="address"/>; false with a one-line reason when it is not an address this tool stores.</summary>
    public static bool TryParse(string address, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(address);
        normalized = null;
        if (address.Length > MaxLength)
        {
            error = $"address too long ({address.Length} characters, at most {MaxLength})";
            return false;
        }

        foreach (char c in address)
        {
            if (c < 0x21 || c == 0x7F)
            {
                error = c == '\0' ? "the address contains a NUL character" : "the address contains a space or control character";
                return false;
            }
        }

        int at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            error = $"'{address}' is not an address of the form local@domain";
            return false;
        }

        string local = address[..at];
        string domain = address[(at + 1)..];
        if (local.Length > MaxLocalPartLength)
        {
            error = $"the local part is longer than {MaxLocalPartLength} characters";
            return false;
        }

        for (int i = 0; i < local.Length; i++)
        {
            char c = local[i];
            if (c == '.')
            {
                if (i == 0 || i == local.Length - 1 || local[i - 1] == '.')
                {
                    error = $"'{address}': a dot may not start or end the local part or follow another dot";
                    return false;
                }

                continue;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || Atext.Contains(c, StringComparison.Ordinal)))
            {
                error = c > 0x7F
                    ? $"'{address}': the local part must be ASCII (SMTPUTF8 local parts are not supported)"
                    : $"'{address}': the character '{c}' is not allowed in a local part";
                return false;
            }
        }

        if (domain.StartsWith('['))
        {
            error = $"'{address}': an address literal cannot be a local account's domain";
            return false;
        }

        if (!DomainNames.TryNormalize(domain, out string? ascii, out string? domainError))
        {
            error = $"'{address}': {domainError}";
            return false;
        }

        if (!ascii.Contains('.', StringComparison.Ordinal))
        {
            error = $"'{address}': the domain must have at least two labels";
            return false;
        }

        normalized = local.ToLowerInvariant() + "@" + ascii;
        if (normalized.Length > MaxLength)
        {
            normalized = null;
            error = $"address too long once normalised (at most {MaxLength} characters)";
            return false;
        }

        error = null;
        return true;
    }
}
