using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Mailseal.Dns.Spf;

/// <summary>Macro strings of RFC 7208 section 7: syntax checks and expansion.</summary>
internal static partial class SpfMacro
{
    private const string Delimiters = ".-+,/_=";

    /// <summary>A transformer digit count beyond this keeps every part anyway (a name has at most 127 labels).</summary>
    private const int MaxParts = 128;

    /// <summary>Checks a domain-spec: a macro-string without c, r, t, ending in a macro or "." toplabel ["."].</summary>
    /// <exception cref="SpfException">permerror.</exception>
    public static void ValidateDomainSpec(string spec)
    {
        if (spec.Length == 0)
        {
            throw SpfException.Perm("empty domain-spec");
        }

        bool endsInMacro = Validate(spec, explanation: false);
        if (endsInMacro)
        {
            return;
        }

        string s = spec[^1] == '.' ? spec[..^1] : spec;
        int dot = s.LastIndexOf('.');
        if (dot < 0 || !TopLabel().IsMatch(s[(dot + 1)..]))
        {
            throw SpfException.Perm($"'{spec}' does not end in a valid top-level label");
        }
    }

    /// <summary>Checks macro-string syntax. Returns true when the string ends with a macro-expand.</summary>
    /// <param name="text">The macro-string.</param>
    /// <param name="explanation">True in exp= text, where c, r and t are allowed and so are spaces.</param>
    /// <exception cref="SpfException">permerror.</exception>
    public static bool Validate(string text, bool explanation)
    {
        bool lastWasMacro = false;
        for (int i = 0; i < text.Length;)
        {
            if (text[i] != '%')
            {
                if (text[i] > 0x7e || text[i] < 0x20 || (text[i] == ' ' && !explanation))
                {
                    throw SpfException.Perm("invalid character in macro-string");
                }

                lastWasMacro = false;
                i++;
                continue;
            }

            i = ReadMacro(text, i, explanation, out _, out _, out _, out _, out _);
            lastWasMacro = true;
        }

        return lastWasMacro;
    }

    /// <summary>Expands a macro-string. Domain-specs are cut from the left to 253 characters (section 7.3).</summary>
    /// <exception cref="SpfException">permerror on bad syntax.</exception>
    public static async Task<string> ExpandAsync(string text, SpfMacroContext context, bool explanation, CancellationToken cancellationToken)
    {
        var sb = new StringBuilder(text.Length + 32);
        string? validated = null;
        for (int i = 0; i < text.Length;)
        {
            if (text[i] != '%')
            {
                sb.Append(text[i]);
                i++;
                continue;
            }

            i = ReadMacro(text, i, explanation, out string? literal, out char letter, out int digits, out bool reverse, out string delimiters);
            if (literal is not null)
            {
                sb.Append(literal);
                continue;
            }

            string value;
            switch (char.ToLowerInvariant(letter))
            {
                case 's':
                    value = context.Sender;
                    break;
                case 'l':
                    value = context.LocalPart;
                    break;
                case 'o':
                    value = context.SenderDomain;
                    break;
                case 'd':
                    value = context.Domain;
                    break;
                case 'i':
                    value = DottedAddress(context.Client);
                    break;
                case 'p':
                    validated ??= await context.ValidatedName(context.Domain, cancellationToken).ConfigureAwait(false);
                    value = validated;
                    break;
                case 'v':
                    value = context.Client.AddressFamily == AddressFamily.InterNetwork ? "in-addr" : "ip6";
                    break;
                case 'h':
                    value = context.Helo;
                    break;
                case 'c':
                    value = context.Client.ToString();
                    break;
                case 'r':
                    value = context.ReceivingHost;
                    break;
                default: // 't'
                    value = context.Timestamp.ToString(CultureInfo.InvariantCulture);
                    break;
            }

            value = Transform(value, digits, reverse, delimiters);
            if (char.IsAsciiLetterUpper(letter))
            {
                value = Uri.EscapeDataString(value);
            }

            sb.Append(value);
        }

        string result = sb.ToString();
        if (!explanation)
        {
            result = TruncateDomain(result);
        }

        return result;
    }

    /// <summary>
    /// %{i}: dotted IPv4, or 32 dot-separated nibbles for IPv6 (section 7.3). Nibbles are upper-case
    /// hex, as pyspf and the openspf suite write them; DNS compares names case-insensitively, so
    /// lookups do not depend on it, only explanation text does.
    /// </summary>
    internal static string DottedAddress(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return address.ToString();
        }

        byte[] bytes = address.GetAddressBytes();
        var sb = new StringBuilder(63);
        const string hex = "0123456789ABCDEF";
        foreach (byte b in bytes)
        {
            if (sb.Length > 0)
            {
                sb.Append('.');
            }

            sb.Append(hex[b >> 4]).Append('.').Append(hex[b & 0xf]);
        }

        return sb.ToString();
    }

    private static string TruncateDomain(string name)
    {
        while (name.Length > DnsName.MaxLength)
        {
            int dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                return string.Empty;
            }

            name = name[(dot + 1)..];
        }

        return name;
    }

    private static string Transform(string value, int digits, bool reverse, string delimiters)
    {
        if (digits == 0 && !reverse && delimiters.Length == 0)
        {
            return value;
        }

        string[] parts = value.Split(delimiters.Length == 0 ? ['.'] : delimiters.ToCharArray());
        if (reverse)
        {
            Array.Reverse(parts);
        }

        if (digits > 0 && digits < parts.Length)
        {
            parts = parts[^digits..];
        }

        return string.Join('.', parts);
    }

    /// <summary>Reads one macro-expand starting at the '%' at <paramref name="start"/>; returns the index after it.</summary>
    private static int ReadMacro(string text, int start, bool explanation, out string? literal, out char letter, out int digits, out bool reverse, out string delimiters)
    {
        literal = null;
        letter = '\0';
        digits = 0;
        reverse = false;
        delimiters = string.Empty;
        if (start + 1 >= text.Length)
        {
            throw SpfException.Perm("'%' at the end of a macro-string");
        }

        char next = text[start + 1];
        switch (next)
        {
            case '%':
                literal = "%";
                return start + 2;
            case '_':
                literal = " ";
                return start + 2;
            case '-':
                literal = "%20";
                return start + 2;
            case '{':
                break;
            default:
                throw SpfException.Perm($"invalid macro '%{next}'");
        }

        int i = start + 2;
        if (i >= text.Length)
        {
            throw SpfException.Perm("unterminated macro");
        }

        letter = text[i++];
        char lower = char.ToLowerInvariant(letter);
        if ("slodipvh".IndexOf(lower, StringComparison.Ordinal) < 0)
        {
            if (!explanation || "crt".IndexOf(lower, StringComparison.Ordinal) < 0)
            {
                throw SpfException.Perm($"invalid macro letter '{letter}'");
            }
        }

        int digitStart = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        if (i > digitStart)
        {
            string number = text[digitStart..i];
            digits = number.Length > 3 ? MaxParts : int.Parse(number, NumberStyles.None, CultureInfo.InvariantCulture);
            if (digits == 0)
            {
                throw SpfException.Perm("a macro transformer digit count of zero");
            }
        }

        if (i < text.Length && (text[i] == 'r' || text[i] == 'R'))
        {
            reverse = true;
            i++;
        }

        int delimiterStart = i;
        while (i < text.Length && Delimiters.Contains(text[i], StringComparison.Ordinal))
        {
            i++;
        }

        delimiters = text[delimiterStart..i];
        if (i >= text.Length || text[i] != '}')
        {
            throw SpfException.Perm("malformed macro");
        }

        return i + 1;
    }

    [GeneratedRegex(@"^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])$", RegexOptions.CultureInvariant)]
    private static partial Regex TopLabel();
}
