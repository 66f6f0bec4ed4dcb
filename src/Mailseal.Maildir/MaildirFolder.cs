using System.Text;

namespace Mailseal.Maildir;

/// <summary>
/// One folder of a Maildir++ mailbox as Dovecot lays it out (its default for maildir:): INBOX
/// is the root, every other folder a directory "." + its name with "." as the hierarchy
/// separator and non-ASCII names in modified UTF-7 (RFC 3501 5.1.3); each has cur/, new/, tmp/.
/// </summary>
internal sealed class MaildirFolder
{
    public MaildirFolder(string name, string path)
    {
        Name = name;
        Path = path;
    }

    /// <summary>The IMAP name (INBOX, Sent, Archive.2023).</summary>
    public string Name { get; }

    /// <summary>The folder's directory.</summary>
    public string Path { get; }

    public string CurPath => System.IO.Path.Combine(Path, "cur");

    public string NewPath => System.IO.Path.Combine(Path, "new");

    public string TmpPath => System.IO.Path.Combine(Path, "tmp");

    /// <summary>The folder called <paramref name="name"/> under the Maildir <paramref name="root"/> (INBOX is the root itself; '/' or '.' separate levels).</summary>
    /// <exception cref="ArgumentException">A name that cannot be a folder (empty level, "..", a control character).</exception>
    public static MaildirFolder Named(string root, string name)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(name);
        if (string.Equals(name, "INBOX", StringComparison.OrdinalIgnoreCase))
            return new MaildirFolder("INBOX", root);
        var levels = name.Split('/', '.');
        if (levels.Any(l => l.Length == 0) || name.Any(char.IsControl))
            throw new ArgumentException($"not a folder name: \"{name}\"", nameof(name));
        string directory = "." + string.Join('.', levels.Select(EncodeModifiedUtf7));
        return new MaildirFolder(string.Join('.', levels), System.IO.Path.Combine(root, directory));
    }

    /// <summary>Every folder under <paramref name="root"/> that has a cur/ directory, INBOX first.</summary>
    public static IReadOnlyList<MaildirFolder> All(string root)
    {
        var list = new List<MaildirFolder>();
        if (Directory.Exists(System.IO.Path.Combine(root, "cur")))
            list.Add(new MaildirFolder("INBOX", root));
        foreach (var dir in new DirectoryInfo(root).EnumerateDirectories(".*").OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            if (dir.Name is "." or ".." || !Directory.Exists(System.IO.Path.Combine(dir.FullName, "cur")))
                continue;
            list.Add(new MaildirFolder(dir.Name[1..], dir.FullName));
        }

        return list;
    }

    /// <summary>RFC 3501 modified UTF-7: printable ASCII as is ('&amp;' as "&amp;-"), other runs as '&amp;' + base64 of UTF-16BE with ',' for '/' + '-'.</summary>
    internal static string EncodeModifiedUtf7(string text)
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c >= 0x20 && c <= 0x7e)
            {
                sb.Append(c == '&' ? "&-" : c.ToString());
                i++;
                continue;
            }

            int start = i;
            while (i < text.Length && (text[i] < 0x20 || text[i] > 0x7e))
                i++;
            byte[] utf16 = Encoding.BigEndianUnicode.GetBytes(text[start..i]);
            sb.Append('&').Append(Convert.ToBase64String(utf16).TrimEnd('=').Replace('/', ',')).Append('-');
        }

        return sb.ToString();
    }
}
