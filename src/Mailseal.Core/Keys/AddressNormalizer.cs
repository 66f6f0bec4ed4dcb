using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Mailseal.Core.Keys;

/// <summary>
/// Turns an envelope recipient into the name a key directory looks up: domain and local part
/// lower-cased (DESIGN.md: the key folder holds <c>&lt;lower-cased address&gt;.asc</c>), one
/// pair of angle brackets, a source route and a trailing dot on the domain removed, a quoted local part unquoted, the domain in its A-label
/// form (<see cref="DomainNames"/>: <c>mäil.example</c> is <c>xn--mil-qla.example</c>), the recipient delimiter
/// extension split off. Addresses that could escape a key folder or confuse a log line are
/// rejected: '/', '\', NUL and other control characters, whitespace, "..", a leading '.', and
/// anything longer than <see cref="MaxAddressLength"/>.
/// </summary>
public sealed class AddressNormalizer
{
    /// <summary>Longest address accepted, in characters (RFC 5321's path limit minus the brackets).</summary>
    public const int MaxAddressLength = 254;

    private readonly string _delimiters;

    /// <summary>Creates a normaliser.</summary>
    /// <param name="recipientDelimiters">Each character starts an extension (Postfix's recipient_delimiter); empty = none.</param>
    public AddressNormalizer(string recipientDelimiters = "+")
    {
        ArgumentNullException.ThrowIfNull(recipientDelimiters);
        if (recipientDelimiters.Any(c => c is '@' or '/' or '.' or '\\' || char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw new ArgumentException("a recipient delimiter may not be @ / . \\, a blank or a control character", nameof(recipientDelimiters));
        }

        _delimiters = recipientDelimiters;
    }

    /// <summary>Normalises <paramref name="address"/>.</summary>
    /// <exception cref="FormatException">The address is malformed or unsafe; the message says why.</exception>
    public NormalizedAddress Normalize(string address) =>
        TryNormalize(address, out NormalizedAddress? result, out string? error) ? result : throw new FormatException(error);

    /// <summary>Normalises <paramref name="address"/>; false with a one-line reason when it is malformed or unsafe.</summary>
    public bool TryNormalize(string address, [NotNullWhen(true)] out NormalizedAddress? result, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(address);
        result = null;
        string a = address.Trim();
        if (a.Length >= 2 && a[0] == '<' && a[^1] == '>')
        {
            a = a[1..^1];
        }

        if (a.Length == 0)
        {
            error = "empty address";
            return false;
        }

        // An RFC 5321 source route (@a,@b:bob@example.org) is dropped, as Postfix's cleanup does.
        if (a.Length > 1 && a[0] == '@' && a.IndexOf(':', StringComparison.Ordinal) is int colon and > 0 && colon < a.Length - 1)
        {
            a = a[(colon + 1)..];
        }

        // A quoted local part is read as Postfix's internal form reads it, unquoted: "bob"@example.org
        // is bob@example.org (Postfix's SMTP client, and so mailseal-filterd, sees the quoted form).
        int lastAt = a.LastIndexOf('@');
        if (lastAt > 1 && a[0] == '"' && a[lastAt - 1] == '"')
        {
            a = RoutedAddressKeyDirectory.Unquote(a[..lastAt]) + a[lastAt..];
        }

        if (a.Length > MaxAddressLength)
        {
            error = $"address longer than {MaxAddressLength} characters";
            return false;
        }

        foreach (char c in a)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c is '/' or '\\' or '<' or '>')
            {
                error = $"invalid character in address \"{Printable(a)}\"";
                return false;
            }
        }

        int at = a.LastIndexOf('@');
        if (at <= 0 || at == a.Length - 1)
        {
            error = $"\"{Printable(a)}\" is not an address (local@domain)";
            return false;
        }

        string local = a[..at].ToLowerInvariant();
        string rawDomain = a[(at + 1)..];
        if (local.Contains("..", StringComparison.Ordinal) || local[0] == '.' || rawDomain.Contains("..", StringComparison.Ordinal))
        {
            error = $"invalid address \"{Printable(a)}\" (\"..\" or a leading \".\")";
            return false;
        }

        // One spelling per domain (A-label, lower case): the same routine local_domains goes through.
        if (rawDomain.StartsWith('['))
        {
            error = $"invalid domain in address \"{Printable(a)}\" (an address literal has no key)";
            return false;
        }

        if (!DomainNames.TryNormalize(rawDomain, out string? domain, out string? domainError))
        {
            error = $"invalid domain in address \"{Printable(a)}\": {domainError}";
            return false;
        }

        // ".asc" is appended to form a file name: keep that within 255 bytes.
        if (Encoding.UTF8.GetByteCount(local) + 1 + Encoding.UTF8.GetByteCount(domain) > 250)
        {
            error = "address too long for a key file name";
            return false;
        }

        string? extension = null;
        int split = _delimiters.Length == 0 ? -1 : local.IndexOfAny(_delimiters.ToCharArray());
        if (split > 0)
        {
            extension = local[split..];
            local = local[..split];
        }

        result = new NormalizedAddress(local, extension, domain);
        error = null;
        return true;
    }

    /// <summary>
    /// The normalised domain of <paramref name="address"/> (after the last '@'; see
    /// <see cref="DomainNames"/>), or null. A domain that cannot be normalised is returned
    /// lower-cased, so a caller can still compare it.
    /// </summary>
    public static string? DomainOf(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        string a = address.Trim().TrimStart('<').TrimEnd('>');
        int at = a.LastIndexOf('@');
        if (at < 0 || at == a.Length - 1)
        {
            return null;
        }

        string domain = a[(at + 1)..];
        return DomainNames.TryNormalize(domain, out string? ascii, out _) ? ascii : domain.ToLowerInvariant().TrimEnd('.');
    }

    private static string Printable(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 80));
        foreach (char c in s.Length > 80 ? s[..80] : s)
        {
            sb.Append(char.IsControl(c) ? '?' : c);
        }

        return sb.ToString();
    }
}
