using System.Text;

namespace Mailseal.Core.Mime;

/// <summary>Folds a generated header field at white space (RFC 5322 section 2.2.3).</summary>
internal static class HeaderFolder
{
    /// <summary>Lines are folded before this many characters where white space allows it.</summary>
    public const int FoldWidth = 78;

    public static string Fold(string name, string value, string newLine)
    {
        var sb = new StringBuilder(name.Length + value.Length + 8);
        sb.Append(name).Append(':');
        var lineLength = sb.Length;
        var words = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var word in words)
        {
            if (lineLength + 1 + word.Length > FoldWidth && lineLength > name.Length + 1)
            {
                sb.Append(newLine);
                lineLength = 0;
            }

            sb.Append(' ').Append(word);
            lineLength += 1 + word.Length;
        }

        sb.Append(newLine);
        return sb.ToString();
    }
}
