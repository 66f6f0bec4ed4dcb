namespace Mailseal.Core.Configuration;

/// <summary>
/// The configuration vocabulary: shared names, section names, and the mapping between a
/// configuration name and its long command-line flag (<c>key_dir</c> &lt;-&gt; <c>--key-dir</c>).
/// </summary>
public static class ConfigurationNames
{
    /// <summary>Folder of <c>ADDRESS.asc</c> certificate files.</summary>
    public const string KeyDir = "key_dir";

    /// <summary>PostgreSQL connection string; empty means key folder only.</summary>
    public const string Database = "database";

    /// <summary>Domains whose addresses are local accounts, comma or blank separated.</summary>
    public const string LocalDomains = "local_domains";

    /// <summary>Characters that separate a local part from its extension (Postfix's recipient_delimiter).</summary>
    public const string RecipientDelimiter = "recipient_delimiter";

    /// <summary>The syslog unix datagram socket.</summary>
    public const string SyslogSocket = "syslog_socket";

    /// <summary>The names allowed at the top of the file, shared by every tool.</summary>
    public static IReadOnlyList<string> Shared { get; } = [KeyDir, Database, LocalDomains, RecipientDelimiter, SyslogSocket];

    /// <summary>The sections a file may have, one per tool.</summary>
    public static IReadOnlyList<string> Sections { get; } = ["encrypt", "pipe", "filterd", "scrub", "spfd", "greyd", "maildir", "admin"];

    /// <summary>True for a shared name.</summary>
    public static bool IsShared(string name) => Shared.Contains(name, StringComparer.Ordinal);

    /// <summary>True for a known section name.</summary>
    public static bool IsSection(string name) => Sections.Contains(name, StringComparer.Ordinal);

    /// <summary>
    /// True when <paramref name="name"/> has the shape of a configuration name: a lower-case
    /// ASCII letter, then lower-case letters, digits and single underscores, at most 64 characters.
    /// </summary>
    public static bool IsWellFormedName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > 64 || name[0] is < 'a' or > 'z' || name[^1] == '_')
        {
            return false;
        }

        for (int i = 1; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') || (c == '_' && name[i - 1] != '_');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The long flag for a configuration name: <c>key_dir</c> -&gt; <c>--key-dir</c>.</summary>
    public static string ToFlag(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return "--" + name.Replace('_', '-');
    }

    /// <summary>
    /// The configuration name for a long flag: <c>--key-dir</c> -&gt; <c>key_dir</c>; null when
    /// the flag is not a long flag whose name is a well-formed configuration name.
    /// </summary>
    public static string? FromFlag(string flag)
    {
        ArgumentNullException.ThrowIfNull(flag);
        if (!flag.StartsWith("--", StringComparison.Ordinal) || flag.Contains('_', StringComparison.Ordinal))
        {
            return null;
        }

        string name = flag[2..].Replace('-', '_');
        return IsWellFormedName(name) ? name : null;
    }
}
