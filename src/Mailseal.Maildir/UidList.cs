using System.Globalization;
using System.Text;

namespace Mailseal.Maildir;

/// <summary>
/// dovecot-uidlist, version 3 (the only one Dovecot 2.x writes): a header line
/// <c>3 V&lt;uidvalidity&gt; N&lt;next uid&gt; ...</c>, then one line per message
/// <c>&lt;uid&gt; [&lt;ext&gt;...] :&lt;base name&gt;</c>, where ext fields such as <c>S&lt;size&gt;</c>
/// and <c>W&lt;vsize&gt;</c> may cache the sizes. Dovecot maps a file to its UID by the base name
/// (everything before ':'), so a message keeps its UID across a change of its S=/W= fields only
/// if its line names the new base: <see cref="Rename"/> rewrites those lines and nothing else.
/// The file is rewritten the way Dovecot rewrites it: into dovecot-uidlist.lock (which the
/// writer holds, see <see cref="UidListLock"/>), then renamed over dovecot-uidlist with a newer
/// mtime, which also releases the lock.
/// </summary>
internal static class UidList
{
    /// <summary>The file name in a Maildir folder.</summary>
    public const string FileName = "dovecot-uidlist";

    /// <summary>Largest uidlist read (a line per message; 64 MiB is about a million messages).</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The new uidlist text with each line whose base is a key of <paramref name="renames"/>
    /// naming the value instead (its S/W ext fields set to the new sizes); null when nothing changes.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a version 3 uidlist.</exception>
    public static string? Rename(string text, IReadOnlyDictionary<string, MaildirFileName> renames)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(renames);
        if (!text.StartsWith("3 ", StringComparison.Ordinal))
            throw new InvalidDataException("dovecot-uidlist is not version 3");
        var lines = text.Split('\n');
        bool changed = false;
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            int colon = line.IndexOf(" :", StringComparison.Ordinal);
            if (colon < 0)
                continue;
            string name = line[(colon + 2)..];
            if (!renames.TryGetValue(name, out var target))
                continue;
            var fields = line[..colon].Split(' ');
            var sb = new StringBuilder(fields[0]);
            for (int f = 1; f < fields.Length; f++)
            {
                if (fields[f].Length > 1 && (fields[f][0] == 'S' || fields[f][0] == 'W') && char.IsAsciiDigit(fields[f][1]))
                    continue; // cached sizes of the old file: replaced below
                sb.Append(' ').Append(fields[f]);
            }

            if (target.VirtualSize is { } w)
                sb.Append(" W").Append(w.ToString(CultureInfo.InvariantCulture));
            if (target.Size is { } s)
                sb.Append(" S").Append(s.ToString(CultureInfo.InvariantCulture));
            sb.Append(" :").Append(target.Base);
            lines[i] = sb.ToString();
            changed = true;
        }

        return changed ? string.Join('\n', lines) : null;
    }
}
