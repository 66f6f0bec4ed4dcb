using System.Text;

namespace Mailseal.Core.Mime;

/// <summary>
/// RFC 2047 encoded-word decoding for reading header values such as the Subject:
/// <c>=?charset[*lang]?Q|B?text?=</c>. White space between adjacent encoded words is dropped,
/// and adjacent words in one charset are decoded together so a multi-byte character split
/// across words survives. Malformed words are left as written. Never throws.
/// </summary>
public static class EncodedWords
{
    /// <summary>Decodes every encoded word in <paramref name="value"/> (an unfolded header value).</summary>
    public static string Decode(string value, MimeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains("=?", StringComparison.Ordinal))
            return value;
        var max = (limits ?? MimeLimits.Default).MaxEncodedWords;
        var sb = new StringBuilder(value.Length);
        var pendingBytes = new List<byte>();
        string? pendingCharset = null;
        var words = 0;
        var p = 0;
        var pendingWhitespace = string.Empty;
        while (p < value.Length)
        {
            if (words < max && TryReadWord(value, p, out var end, out var charset, out var bytes))
            {
                words++;
                if (pendingCharset is not null && !string.Equals(pendingCharset, charset, StringComparison.OrdinalIgnoreCase))
                    FlushWord();
                pendingCharset = charset;
                pendingBytes.AddRange(bytes);
                pendingWhitespace = string.Empty; // white space between encoded words is dropped
                p = end;
                continue;
            }

            if (value[p] is ' ' or '\t' && pendingCharset is not null)
            {
                pendingWhitespace += value[p];
                p++;
                continue;
            }

            FlushWord();
            sb.Append(pendingWhitespace);
            pendingWhitespace = string.Empty;
            sb.Append(value[p]);
            p++;
        }

        FlushWord();
        sb.Append(pendingWhitespace);
        return sb.ToString();

        void FlushWord()
        {
            if (pendingCharset is null)
                return;
            sb.Append(MimeCharsets.GetEncoding(pendingCharset).GetString(pendingBytes.ToArray()));
            pendingBytes.Clear();
            pendingCharset = null;
        }
    }

    private static bool TryReadWord(string s, int p, out int end, out string charset, out byte[] bytes)
    {
        end = p;
        charset = string.Empty;
        bytes = [];
        if (p + 1 >= s.Length || s[p] != '=' || s[p + 1] != '?')
            return false;
        var q1 = s.IndexOf('?', p + 2);
        if (q1 < 0 || q1 + 2 >= s.Length || s[q1 + 2] != '?')
            return false;
        var encoding = char.ToUpperInvariant(s[q1 + 1]);
        if (encoding is not 'Q' and not 'B')
            return false;
        var textStart = q1 + 3;
        var close = s.IndexOf("?=", textStart, StringComparison.Ordinal);
        if (close < 0)
            return false;
        var text = s[textStart..close];
        if (text.Contains(' ', StringComparison.Ordinal))
            return false;
        charset = s[(p + 2)..q1];
        var star = charset.IndexOf('*', StringComparison.Ordinal);
        if (star >= 0)
            charset = charset[..star]; // RFC 2231 section 5 language suffix
        if (charset.Length == 0)
            return false;
        if (encoding == 'B')
        {
            var padded = text.TrimEnd('=');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var buffer = new byte[padded.Length];
            if (!Convert.TryFromBase64String(padded, buffer, out var written))
                return false;
            bytes = buffer[..written];
        }
        else
        {
            var list = new List<byte>(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '_')
                    list.Add((byte)' ');
                else if (c == '=' && i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
                {
                    list.Add((byte)((Uri.FromHex(text[i + 1]) << 4) | Uri.FromHex(text[i + 2])));
                    i += 2;
                }
                else
                    list.Add(c < 0x100 ? (byte)c : (byte)'?');
            }

            bytes = [.. list];
        }

        end = close + 2;
        return true;
    }
}
