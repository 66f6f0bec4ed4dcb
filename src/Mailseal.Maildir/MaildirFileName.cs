using System.Globalization;
using System.Text;

namespace Mailseal.Maildir;

/// <summary>
/// A Maildir file name as Dovecot writes and reads it: <c>UNIQUE[,S=SIZE][,W=VSIZE][,...]:2,FLAGS</c>.
/// Dovecot's "base name" (what dovecot-uidlist maps to a UID, maildir_filename_base_cmp) is
/// everything before the ':', size fields included; the flags after ":2," are one letter each
/// (D F R S T, then a-z for the keywords listed in dovecot-keywords) and are kept as they are.
/// </summary>
internal sealed class MaildirFileName
{
    private MaildirFileName(string unique, IReadOnlyList<string> extras, long? size, long? virtualSize, string? info)
    {
        Unique = unique;
        Extras = extras;
        Size = size;
        VirtualSize = virtualSize;
        Info = info;
    }

    /// <summary>The unique part (before the first ',' or ':').</summary>
    public string Unique { get; }

    /// <summary>Other <c>,X=...</c> fields of the base, kept in order.</summary>
    public IReadOnlyList<string> Extras { get; }

    /// <summary>S=: the file's size in bytes, when the name carries it.</summary>
    public long? Size { get; }

    /// <summary>W=: the size with CRLF line ends (what IMAP RFC822.SIZE reports), when the name carries it.</summary>
    public long? VirtualSize { get; }

    /// <summary>What follows the ':' (normally <c>2,FLAGS</c>), or null when the name has none.</summary>
    public string? Info { get; }

    /// <summary>Dovecot's base name: the whole name before ':'.</summary>
    public string Base => BuildBase(Size, VirtualSize);

    /// <summary>The full name.</summary>
    public override string ToString() => Info is null ? Base : Base + ":" + Info;

    /// <summary>Parses a name; null for names Maildir readers skip (starting with '.', or empty).</summary>
    public static MaildirFileName? Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name[0] == '.' || name.Contains('/', StringComparison.Ordinal))
            return null;
        int colon = name.IndexOf(':', StringComparison.Ordinal);
        string baseName = colon < 0 ? name : name[..colon];
        string? info = colon < 0 ? null : name[(colon + 1)..];
        string[] parts = baseName.Split(',');
        long? size = null, virtualSize = null;
        var extras = new List<string>();
        for (int i = 1; i < parts.Length; i++)
        {
            string p = parts[i];
            if (p.StartsWith("S=", StringComparison.Ordinal) && size is null && TryNumber(p.AsSpan(2), out long s))
                size = s;
            else if (p.StartsWith("W=", StringComparison.Ordinal) && virtualSize is null && TryNumber(p.AsSpan(2), out long w))
                virtualSize = w;
            else
                extras.Add(p);
        }

        return new MaildirFileName(parts[0], extras, size, virtualSize, info);
    }

    /// <summary>The same name (unique part, other fields, flags) with new size fields.</summary>
    public MaildirFileName WithSizes(long size, long virtualSize) => new(Unique, Extras, size, virtualSize, Info);

    /// <summary>The same base with the info (flags) of <paramref name="other"/>.</summary>
    public MaildirFileName WithInfoOf(MaildirFileName other) => new(Unique, Extras, Size, VirtualSize, other.Info);

    /// <summary>True when both names are the same message: the unique part is equal (sizes and flags may differ).</summary>
    public bool SameMessage(MaildirFileName other) => string.Equals(Unique, other.Unique, StringComparison.Ordinal);

    private string BuildBase(long? size, long? virtualSize)
    {
        var sb = new StringBuilder(Unique);
        foreach (string e in Extras)
            sb.Append(',').Append(e);
        if (size is { } s)
            sb.Append(",S=").Append(s.ToString(CultureInfo.InvariantCulture));
        if (virtualSize is { } w)
            sb.Append(",W=").Append(w.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static bool TryNumber(ReadOnlySpan<char> digits, out long value) =>
        long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
