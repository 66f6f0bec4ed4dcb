using Mailseal.Core.Mime;
using System.Globalization;
using System.Text;

namespace Mailseal.Core.Tests.Messages.Legacy;

/// <summary>
/// The parameter list of a Content-Type or Content-Disposition value (RFC 2045 section 5.1),
/// with RFC 2231 continuations (<c>name*0=</c>, <c>name*1*=</c>) joined and
/// <c>charset'language'%xx</c> values decoded. Names are case-insensitive. Lenient where real
/// mail is sloppy (unquoted values with specials, stray semicolons), bounded by
/// <see cref="MimeLimits.MaxParameters"/>.
/// </summary>
internal static class LegacyMimeParameters
{
    public static Dictionary<string, string> Parse(string text, int start, MimeLimits limits)
    {
        var sections = new Dictionary<string, List<(int Index, bool Encoded, string Value)>>(StringComparer.OrdinalIgnoreCase);
        var plain = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var count = 0;
        var p = start;
        while (p < text.Length && count < limits.MaxParameters)
        {
            p = LegacyMimeTokens.SkipCfws(text, p);
            if (p < text.Length && text[p] == ';')
            {
                p++;
                continue;
            }

            var nameStart = p;
            while (p < text.Length && text[p] is not '=' and not ';' && !char.IsWhiteSpace(text[p]))
                p++;
            var name = text[nameStart..p];
            p = LegacyMimeTokens.SkipCfws(text, p);
            if (p >= text.Length || text[p] != '=')
            {
                // A name without a value: skip to the next parameter.
                while (p < text.Length && text[p] != ';')
                    p++;
                continue;
            }

            p = LegacyMimeTokens.SkipCfws(text, p + 1);
            string value;
            if (p < text.Length && text[p] == '"')
            {
                value = LegacyMimeTokens.ReadQuoted(text, ref p);
            }
            else
            {
                var valueStart = p;
                while (p < text.Length && text[p] != ';')
                    p++;
                value = text[valueStart..p].TrimEnd();
            }

            count++;
            if (name.Length == 0)
                continue;
            var star = name.IndexOf('*', StringComparison.Ordinal);
            if (star < 0)
            {
                plain.TryAdd(name, value);
                continue;
            }

            var baseName = name[..star];
            var suffix = name[(star + 1)..];
            var encoded = suffix.EndsWith('*');
            if (encoded)
                suffix = suffix[..^1];
            int index;
            if (suffix.Length == 0)
            {
                // name*=charset'lang'value: a single encoded section.
                index = 0;
                encoded = true;
            }
            else if (!int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out index) || index >= limits.MaxParameters)
            {
                continue;
            }

            if (!sections.TryGetValue(baseName, out var list))
                sections[baseName] = list = [];
            list.Add((index, encoded, value));
        }

        foreach (var (name, list) in sections)
        {
            // RFC 2231 values win over a plain one of the same name (senders add both for old readers).
            var joined = Join(list);
            if (joined is not null)
                plain[name] = joined;
        }

        return plain;
    }

    private static string? Join(List<(int Index, bool Encoded, string Value)> list)
    {
        list.Sort((a, b) => a.Index.CompareTo(b.Index));
        if (list[0].Index != 0)
            return null;
        Encoding? charset = null;
        var result = new StringBuilder();
        var pending = new List<byte>();
        var expected = 0;
        foreach (var (index, encoded, value) in list)
        {
            if (index != expected)
                break; // a gap or a duplicate ends the value
            expected++;
            var v = value;
            if (index == 0 && encoded)
            {
                var q1 = v.IndexOf('\'', StringComparison.Ordinal);
                var q2 = q1 < 0 ? -1 : v.IndexOf('\'', q1 + 1);
                if (q2 >= 0)
                {
                    charset = LegacyMimeCharsets.GetEncoding(v[..q1]);
                    v = v[(q2 + 1)..];
                }
            }

            if (encoded)
            {
                PercentDecode(v, pending);
            }
            else
            {
                FlushBytes();
                result.Append(v);
            }
        }

        FlushBytes();
        return result.ToString();

        void FlushBytes()
        {
            if (pending.Count == 0)
                return;
            result.Append((charset ?? Encoding.ASCII).GetString(pending.ToArray()));
            pending.Clear();
        }
    }

    private static void PercentDecode(string v, List<byte> into)
    {
        for (var i = 0; i < v.Length; i++)
        {
            if (v[i] == '%' && i + 2 < v.Length && Uri.IsHexDigit(v[i + 1]) && Uri.IsHexDigit(v[i + 2]))
            {
                into.Add((byte)((Uri.FromHex(v[i + 1]) << 4) | Uri.FromHex(v[i + 2])));
                i += 2;
            }
            else if (v[i] < 0x80)
            {
                into.Add((byte)v[i]);
            }
            else
            {
                into.AddRange(Encoding.UTF8.GetBytes(v[i].ToString()));
            }
        }
    }
}
