using System.Text;

namespace Mailseal.Admin.Zone;

/// <summary>
/// TXT data in zone-file presentation: one record, its text cut into character-strings of at
/// most 255 bytes, each quoted, with <c>"</c> and <c>\</c> escaped (RFC 1035 5.1). A DKIM key of
/// 2048 bits does not fit one string; the tutorial's unquoted, unsplit TXT lines are what this
/// replaces. Resolvers join the strings back with nothing between them (RFC 7208 3.3, RFC 6376 3.6.2.2).
/// </summary>
internal static class TxtData
{
    public const int MaxStringLength = 255;

    public static string Quote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder();
        for (int start = 0; start < text.Length || start == 0; start += MaxStringLength)
        {
            string part = text.Substring(start, Math.Min(MaxStringLength, text.Length - start));
            if (sb.Length > 0)
                sb.Append(' ');
            sb.Append('"').Append(part.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            if (text.Length == 0)
                break;
        }

        return sb.ToString();
    }

    /// <summary>Tags of a DKIM or DMARC record (<c>v=DKIM1; k=rsa; p=...</c>); null when a tag is malformed or repeated.</summary>
    public static Dictionary<string, string>? Tags(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string raw in text.Split(';'))
        {
            string item = raw.Trim();
            if (item.Length == 0)
                continue;
            int eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                return null;
            string name = item[..eq].Trim();
            // Folding whitespace inside a value (a base64 key split by an editor) is not part of it.
            string value = string.Concat(item[(eq + 1)..].Where(c => !char.IsWhiteSpace(c)));
            if (!tags.TryAdd(name, value))
                return null;
        }

        return tags;
    }
}
