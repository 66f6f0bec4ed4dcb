using System.Text;

namespace Mailseal.Core.Configuration;

/// <summary>
/// A parsed <c>mailseal.conf</c>: <c>name = value</c> lines, <c>#</c> comment lines, blank
/// lines; shared names at the top, then <c>[section]</c> headers, one per tool. A <c>#</c>
/// starts a comment only as the first non-blank character of a line, so values (passwords in
/// a connection string) may contain it. Values are taken literally, surrounding blanks removed.
/// Syntax, section names, shared names and duplicates are checked for the whole file; the
/// names inside a section are checked by the tool that owns the section
/// (<see cref="ForTool"/>), since only it knows its options.
/// </summary>
public sealed class ConfigurationFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ConfigurationFile(string? filePath, IReadOnlyList<ConfigurationEntry> entries)
    {
        FilePath = filePath;
        Entries = entries;
    }

    /// <summary>The embedded defaults: no file, no entries.</summary>
    public static ConfigurationFile Empty { get; } = new(null, []);

    /// <summary>The file read, or null for <see cref="Empty"/>.</summary>
    public string? FilePath { get; }

    /// <summary>Every entry in file order.</summary>
    public IReadOnlyList<ConfigurationEntry> Entries { get; }

    /// <summary>
    /// Reads the configuration a tool runs with: <paramref name="explicitPath"/> (from
    /// <c>--config</c>) must exist and be readable; without it the default file is read when it
    /// exists, and a missing default file means the embedded defaults (<see cref="Empty"/>).
    /// </summary>
    /// <exception cref="ConfigurationException">The file is missing (when named), unreadable, too large or malformed.</exception>
    public static ConfigurationFile LoadForTool(string? explicitPath, string defaultPath = ConfigurationDefaults.ConfigPath, ConfigurationLimits? limits = null)
    {
        if (explicitPath is not null)
        {
            return Load(explicitPath, limits);
        }

        ArgumentNullException.ThrowIfNull(defaultPath);
        return File.Exists(defaultPath) || Directory.Exists(defaultPath) ? Load(defaultPath, limits) : Empty;
    }

    /// <summary>Reads and parses one file.</summary>
    /// <exception cref="ConfigurationException">Missing, unreadable, too large, not UTF-8 or malformed.</exception>
    public static ConfigurationFile Load(string path, ConfigurationLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits ??= ConfigurationLimits.Default;
        if (path.Length == 0)
        {
            throw new ConfigurationException("--config names an empty path");
        }

        if (Directory.Exists(path))
        {
            throw new ConfigurationException(path, 0, "is a directory, not a configuration file");
        }

        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.None);
            bytes = ReadBounded(stream, path, limits.MaxFileBytes);
        }
        catch (ConfigurationException)
        {
            throw;
        }
        catch (FileNotFoundException e)
        {
            throw new ConfigurationException(path, 0, "no such file", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ConfigurationException(path, 0, "no such file", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ConfigurationException(path, 0, "permission denied (the file must be readable by the user the tool runs as)", e);
        }
        catch (IOException e)
        {
            throw new ConfigurationException(path, 0, "cannot read: " + OneLine(e.Message), e);
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new ConfigurationException(path, 0, "not UTF-8 text", e);
        }

        return Parse(text, path, limits);
    }

    /// <summary>Parses configuration text; <paramref name="filePath"/> is used in error messages.</summary>
    /// <exception cref="ConfigurationException">A malformed line, unknown section or shared name, a duplicate, a bad shared value, or a limit exceeded.</exception>
    public static ConfigurationFile Parse(string text, string filePath, ConfigurationLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(filePath);
        limits ??= ConfigurationLimits.Default;
        if (Encoding.UTF8.GetByteCount(text) > limits.MaxFileBytes)
        {
            throw new ConfigurationException(filePath, 0, $"larger than {limits.MaxFileBytes} bytes");
        }

        var entries = new List<ConfigurationEntry>();
        var seen = new HashSet<(string?, string)>();
        var sectionsSeen = new HashSet<string>(StringComparer.Ordinal);
        string? section = null;
        int lineNumber = 0;
        int start = 0;
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            start = 1;
        }

        while (start < text.Length)
        {
            lineNumber++;
            int end = text.IndexOf('\n', start);
            int next = end < 0 ? text.Length : end + 1;
            ReadOnlySpan<char> line = text.AsSpan(start, (end < 0 ? text.Length : end) - start);
            start = next;
            if (line.Length > 0 && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (line.Length > limits.MaxLineLength)
            {
                throw new ConfigurationException(filePath, lineNumber, $"line longer than {limits.MaxLineLength} characters");
            }

            foreach (char c in line)
            {
                if (char.IsControl(c) && c != '\t')
                {
                    throw new ConfigurationException(filePath, lineNumber, "control character in line");
                }
            }

            ReadOnlySpan<char> trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }

            if (trimmed[0] == '[')
            {
                if (trimmed[^1] != ']')
                {
                    throw new ConfigurationException(filePath, lineNumber, "malformed section header (expected [name])");
                }

                string name = trimmed[1..^1].Trim().ToString();
                if (!ConfigurationNames.IsSection(name))
                {
                    throw new ConfigurationException(filePath, lineNumber,
                        $"unknown section [{name}] (known: {string.Join(", ", ConfigurationNames.Sections.Select(s => "[" + s + "]"))})");
                }

                if (!sectionsSeen.Add(name))
                {
                    throw new ConfigurationException(filePath, lineNumber, $"section [{name}] appears twice");
                }

                section = name;
                continue;
            }

            int eq = trimmed.IndexOf('=');
            if (eq < 0)
            {
                throw new ConfigurationException(filePath, lineNumber, "malformed line (expected name = value)");
            }

            string entryName = trimmed[..eq].Trim().ToString();
            string value = trimmed[(eq + 1)..].Trim().ToString();
            if (!ConfigurationNames.IsWellFormedName(entryName))
            {
                throw new ConfigurationException(filePath, lineNumber,
                    entryName.Length == 0 ? "malformed line (no name before =)" : $"malformed name \"{entryName}\" (lower-case letters, digits and _)");
            }

            if (section is null && !ConfigurationNames.IsShared(entryName))
            {
                throw new ConfigurationException(filePath, lineNumber,
                    $"unknown name \"{entryName}\" (shared names are {string.Join(", ", ConfigurationNames.Shared)}; tool settings go in their [section])");
            }

            if (!seen.Add((section, entryName)))
            {
                throw new ConfigurationException(filePath, lineNumber, $"\"{entryName}\" is set twice{(section is null ? string.Empty : " in [" + section + "]")}");
            }

            if (ConfigurationNames.IsShared(entryName) && SharedValues.Validate(entryName, value) is { } problem)
            {
                throw new ConfigurationException(filePath, lineNumber, problem);
            }

            if (entries.Count >= limits.MaxEntries)
            {
                throw new ConfigurationException(filePath, lineNumber, $"more than {limits.MaxEntries} entries");
            }

            entries.Add(new ConfigurationEntry(section, entryName, value, filePath, lineNumber));
        }

        return new ConfigurationFile(filePath, entries);
    }

    /// <summary>
    /// The settings one tool sees: the shared names, overridden by its own section.
    /// <paramref name="knownNames"/> are the names the tool understands in its section (its
    /// long options as configuration names); shared names are always allowed. Any other name
    /// in the tool's section is an error naming the line.
    /// </summary>
    /// <param name="section">The tool's section (<c>encrypt</c>), or null for a tool with none.</param>
    /// <param name="knownNames">Names the tool accepts in its section.</param>
    /// <exception cref="ConfigurationException">An unknown name in the tool's section.</exception>
    public ToolSettings ForTool(string? section, IEnumerable<string> knownNames)
    {
        ArgumentNullException.ThrowIfNull(knownNames);
        if (section is not null && !ConfigurationNames.IsSection(section))
        {
            throw new ArgumentException($"unknown section {section}", nameof(section));
        }

        var known = new HashSet<string>(knownNames, StringComparer.Ordinal);
        var values = new Dictionary<string, ConfigurationEntry>(StringComparer.Ordinal);
        foreach (ConfigurationEntry entry in Entries)
        {
            if (entry.Section is null)
            {
                values.TryAdd(entry.Name, entry);
            }
        }

        foreach (ConfigurationEntry entry in Entries)
        {
            if (section is null || !string.Equals(entry.Section, section, StringComparison.Ordinal))
            {
                continue;
            }

            if (!ConfigurationNames.IsShared(entry.Name) && !known.Contains(entry.Name))
            {
                string list = known.Count == 0 ? "none" : string.Join(", ", known.Order(StringComparer.Ordinal));
                throw new ConfigurationException(entry.FilePath, entry.LineNumber,
                    $"unknown name \"{entry.Name}\" in [{section}] (known there: shared names and {list})");
            }

            values[entry.Name] = entry;
        }

        return new ToolSettings(FilePath, values);
    }

    private static byte[] ReadBounded(FileStream stream, string path, long maxBytes)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new ConfigurationException(path, 0, $"larger than {maxBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
