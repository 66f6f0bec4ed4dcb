using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Mailseal.Dns.Spf;

/// <summary>
/// A parsed SPF record (RFC 7208 section 4.5 and 12). The whole record is checked before any
/// term is evaluated: any syntax error anywhere makes it permerror (section 4.6).
/// </summary>
internal sealed partial class SpfRecord
{
    private SpfRecord(IReadOnlyList<SpfDirective> directives, string? redirect, string? explanation)
    {
        Directives = directives;
        Redirect = redirect;
        Explanation = explanation;
    }

    public IReadOnlyList<SpfDirective> Directives { get; }

    /// <summary>The unexpanded domain-spec of redirect=, or null.</summary>
    public string? Redirect { get; }

    /// <summary>The unexpanded domain-spec of exp=, or null.</summary>
    public string? Explanation { get; }

    /// <summary>True when <paramref name="text"/> is an SPF version 1 record ("v=spf1" then a space or the end).</summary>
    public static bool IsSpf1(string text) =>
        text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (text.Length == 6 || text[6] == ' ');

    /// <summary>Parses a record that <see cref="IsSpf1"/> accepted.</summary>
    /// <exception cref="SpfException">permerror: the record breaks the grammar.</exception>
    public static SpfRecord Parse(string text)
    {
        foreach (char c in text)
        {
            if (c > 0x7e || (c < 0x20))
            {
                throw SpfException.Perm("the record holds a character outside printable ASCII");
            }
        }

        var directives = new List<SpfDirective>();
        string? redirect = null;
        string? explanation = null;
        foreach (string term in text[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            Match modifier = ModifierPattern().Match(term);
            if (modifier.Success)
            {
                string name = modifier.Groups["name"].Value;
                string value = modifier.Groups["value"].Value;
                if (name.Equals("redirect", StringComparison.OrdinalIgnoreCase))
                {
                    if (redirect is not null)
                    {
                        throw SpfException.Perm("redirect= appears twice");
                    }

                    SpfMacro.ValidateDomainSpec(value);
                    redirect = value;
                }
                else if (name.Equals("exp", StringComparison.OrdinalIgnoreCase))
                {
                    if (explanation is not null)
                    {
                        throw SpfException.Perm("exp= appears twice");
                    }

                    SpfMacro.ValidateDomainSpec(value);
                    explanation = value;
                }
                else
                {
                    // Unknown modifiers are ignored, but must still be well-formed macro-strings.
                    SpfMacro.Validate(value, explanation: true);
                }

                continue;
            }

            directives.Add(ParseDirective(term));
        }

        return new SpfRecord(directives, redirect, explanation);
    }

    private static SpfDirective ParseDirective(string term)
    {
        SpfResultCode qualifier = SpfResultCode.Pass;
        string body = term;
        switch (term[0])
        {
            case '+':
                body = term[1..];
                break;
            case '-':
                qualifier = SpfResultCode.Fail;
                body = term[1..];
                break;
            case '~':
                qualifier = SpfResultCode.SoftFail;
                body = term[1..];
                break;
            case '?':
                qualifier = SpfResultCode.Neutral;
                body = term[1..];
                break;
        }

        int nameEnd = 0;
        while (nameEnd < body.Length && char.IsAsciiLetterOrDigit(body[nameEnd]))
        {
            nameEnd++;
        }

        string name = body[..nameEnd].ToLowerInvariant();
        string rest = body[nameEnd..];
        switch (name)
        {
            case "all":
                if (rest.Length != 0)
                {
                    throw Bad(term);
                }

                return new SpfDirective(term, qualifier, SpfMechanism.All, null, null, 32, 128);
            case "include" or "exists":
                {
                    if (rest.Length < 2 || rest[0] != ':')
                    {
                        throw Bad(term);
                    }

                    string spec = rest[1..];
                    SpfMacro.ValidateDomainSpec(spec);
                    return new SpfDirective(term, qualifier, name == "include" ? SpfMechanism.Include : SpfMechanism.Exists, spec, null, 32, 128);
                }

            case "ptr":
                {
                    string? spec = null;
                    if (rest.Length != 0)
                    {
                        if (rest[0] != ':' || rest.Length < 2)
                        {
                            throw Bad(term);
                        }

                        spec = rest[1..];
                        SpfMacro.ValidateDomainSpec(spec);
                    }

                    return new SpfDirective(term, qualifier, SpfMechanism.Ptr, spec, null, 32, 128);
                }

            case "a" or "mx":
                {
                    Match m = DomainAndCidrPattern().Match(rest);
                    if (!m.Success)
                    {
                        throw Bad(term);
                    }

                    string? spec = m.Groups["d"].Success ? m.Groups["d"].Value : null;
                    if (spec is not null)
                    {
                        SpfMacro.ValidateDomainSpec(spec);
                    }

                    int cidr4 = m.Groups["c4"].Success ? ParseCidr(m.Groups["c4"].Value, 32, term) : 32;
                    int cidr6 = m.Groups["c6"].Success ? ParseCidr(m.Groups["c6"].Value, 128, term) : 128;
                    return new SpfDirective(term, qualifier, name == "a" ? SpfMechanism.A : SpfMechanism.Mx, spec, null, cidr4, cidr6);
                }

            case "ip4":
                {
                    Match m = NetworkPattern().Match(rest);
                    if (!m.Success || !TryParseIp4(m.Groups["n"].Value, out IPAddress? network))
                    {
                        throw Bad(term);
                    }

                    int cidr = m.Groups["c"].Success ? ParseCidr(m.Groups["c"].Value, 32, term) : 32;
                    return new SpfDirective(term, qualifier, SpfMechanism.Ip4, null, network, cidr, 128);
                }

            case "ip6":
                {
                    Match m = NetworkPattern().Match(rest);
                    if (!m.Success || !TryParseIp6(m.Groups["n"].Value, out IPAddress? network))
                    {
                        throw Bad(term);
                    }

                    int cidr = m.Groups["c"].Success ? ParseCidr(m.Groups["c"].Value, 128, term) : 128;
                    return new SpfDirective(term, qualifier, SpfMechanism.Ip6, null, network, 32, cidr);
                }

            default:
                throw SpfException.Perm($"unknown mechanism '{term}'");
        }
    }

    private static SpfException Bad(string term) => SpfException.Perm($"malformed mechanism '{term}'");

    private static int ParseCidr(string digits, int max, string term)
    {
        // ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT): no leading zeros.
        if (digits.Length == 0 || (digits.Length > 1 && digits[0] == '0') || digits.Length > 3 ||
            !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value > max)
        {
            throw SpfException.Perm($"bad CIDR length in '{term}'");
        }

        return value;
    }

    /// <summary>Strict dotted quad (RFC 7208 ip4-network: four dec-octets, no leading zeros).</summary>
    internal static bool TryParseIp4(string text, out IPAddress? address)
    {
        address = null;
        string[] parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            string p = parts[i];
            if (p.Length is 0 or > 3 || (p.Length > 1 && p[0] == '0') || !p.All(char.IsAsciiDigit) ||
                !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int octet) || octet > 255)
            {
                return false;
            }

            bytes[i] = (byte)octet;
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static bool TryParseIp6(string text, out IPAddress? address)
    {
        address = null;
        if (!text.Contains(':', StringComparison.Ordinal) || text.Contains('%', StringComparison.Ordinal) ||
            !text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.') ||
            !IPAddress.TryParse(text, out IPAddress? parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z][A-Za-z0-9\-_.]*)=(?<value>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex ModifierPattern();

    [GeneratedRegex(@"^(?::(?<d>.+?))?(?:/(?<c4>[0-9]+))?(?://(?<c6>[0-9]+))?$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex DomainAndCidrPattern();

    [GeneratedRegex(@"^:(?<n>[^/]+)(?:/(?<c>[0-9]+))?$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex NetworkPattern();
}
