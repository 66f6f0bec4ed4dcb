using Mailseal.Core.Mime;
using System.Text;

namespace Mailseal.Core.Tests.Messages.Legacy;

/// <summary>RFC 5322 / RFC 2045 lexical helpers shared by the structured-field parsers.</summary>
internal static class LegacyMimeTokens
{
    /// <summary>Deepest comment nesting skipped; deeper input is read as text.</summary>
    private const int MaxCommentDepth = 16;

    public static bool IsTokenChar(char c) =>
        c is > ' ' and < (char)127 && "()<>@,;:\\\"/[]?=".IndexOf(c, StringComparison.Ordinal) < 0;

    /// <summary>Skips white space and (nested) comments.</summary>
    public static int SkipCfws(string s, int p)
    {
        while (p < s.Length)
        {
            if (char.IsWhiteSpace(s[p]))
            {
                p++;
            }
            else if (s[p] == '(')
            {
                var depth = 0;
                while (p < s.Length)
                {
                    var c = s[p++];
                    if (c == '\\')
                        p++;
                    else if (c == '(' && ++depth > MaxCommentDepth)
                        return p;
                    else if (c == ')' && --depth == 0)
                        break;
                }
            }
            else
            {
                break;
            }
        }

        return Math.Min(p, s.Length);
    }

    public static string ReadToken(string s, ref int p)
    {
        var start = p;
        while (p < s.Length && IsTokenChar(s[p]))
            p++;
        return s[start..p];
    }

    /// <summary>Reads a quoted-string starting at the opening quote; an unterminated one runs to the end.</summary>
    public static string ReadQuoted(string s, ref int p)
    {
        var sb = new StringBuilder();
        p++;
        while (p < s.Length)
        {
            var c = s[p++];
            if (c == '"')
                return sb.ToString();
            if (c == '\\' && p < s.Length)
                c = s[p++];
            sb.Append(c);
        }

        return sb.ToString();
    }
}
