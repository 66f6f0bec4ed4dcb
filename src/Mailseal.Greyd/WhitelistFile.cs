using System.Globalization;
using System.Text.RegularExpressions;

namespace Mailseal.Greyd;

/// <summary>
/// What postgrey's two whitelist formats share: the file's lines (<c>#</c> to the end of a line
/// is a comment, blanks are skipped) and the <c>/regex/</c> entry (case-insensitive, with a
/// match timeout against hostile patterns).
/// </summary>
internal static class WhitelistFile
{
    /// <summary>Adds each entry of <paramref name="text"/> with <paramref name="add"/>; an entry it refuses becomes a warning "<c>PATH line N: COMPLAINT</c>".</summary>
    public static void Load(string path, string text, Func<string, bool> add, List<string> warnings, string complaint)
    {
        var n = 0;
        foreach (var raw in text.Split('\n'))
        {
            n++;
            var line = raw;
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
                line = line[..hash];
            line = line.Trim();
            if (line.Length == 0)
                continue;
            if (!add(line))
                warnings.Add($"{path} line {n.ToString(CultureInfo.InvariantCulture)}: {complaint}");
        }
    }

    /// <summary>
    /// For a <c>/regex/</c> entry: true, with the compiled pattern added to <paramref name="patterns"/>
    /// (or <paramref name="valid"/> false when it does not compile); false when the entry is not one.
    /// </summary>
    public static bool TryAddRegex(string entry, List<Regex> patterns, out bool valid)
    {
        valid = false;
        if (entry.Length <= 2 || entry[0] != '/' || entry[^1] != '/' || entry.Any(char.IsWhiteSpace))
            return false;
        try
        {
            patterns.Add(new Regex(entry[1..^1], RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, ClientWhitelist.RegexTimeout));
            valid = true;
        }
        catch (ArgumentException)
        {
            // Not a pattern .NET compiles: postgrey warns and goes on, so do we.
        }

        return true;
    }
}
