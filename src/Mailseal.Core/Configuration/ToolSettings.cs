namespace Mailseal.Core.Configuration;

/// <summary>
/// What one tool reads from the configuration file: the shared names overridden by its own
/// section, before command-line flags (which win, see <c>ToolHost</c>). Shared names not in
/// the file read as their embedded defaults.
/// </summary>
public sealed class ToolSettings
{
    private readonly IReadOnlyDictionary<string, ConfigurationEntry> _values;

    /// <summary>Creates settings from entries already chosen (one per name).</summary>
    public ToolSettings(string? filePath, IReadOnlyDictionary<string, ConfigurationEntry> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        FilePath = filePath;
        _values = values;
    }

    /// <summary>Settings with the embedded defaults only.</summary>
    public static ToolSettings Defaults { get; } = new(null, new Dictionary<string, ConfigurationEntry>(StringComparer.Ordinal));

    /// <summary>The file the settings came from, or null for the embedded defaults.</summary>
    public string? FilePath { get; }

    /// <summary>Entries set in the file, by name.</summary>
    public IReadOnlyDictionary<string, ConfigurationEntry> Entries => _values;

    /// <summary><c>key_dir</c>.</summary>
    public string KeyDir => GetShared(ConfigurationNames.KeyDir);

    /// <summary><c>database</c>; empty when the key folder alone is used.</summary>
    public string Database => GetShared(ConfigurationNames.Database);

    /// <summary><c>local_domains</c>, lower-cased.</summary>
    public IReadOnlyList<string> LocalDomains => SharedValues.ParseDomains(GetShared(ConfigurationNames.LocalDomains));

    /// <summary><c>recipient_delimiter</c>: each character is a delimiter; empty means none.</summary>
    public string RecipientDelimiter => GetShared(ConfigurationNames.RecipientDelimiter);

    /// <summary><c>syslog_socket</c>.</summary>
    public string SyslogSocket => GetShared(ConfigurationNames.SyslogSocket);

    /// <summary>The entry for <paramref name="name"/> when the file sets it.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ConfigurationEntry? entry) =>
        _values.TryGetValue(name, out entry);

    /// <summary>The file's value for <paramref name="name"/>, the embedded default for a shared name, or null.</summary>
    public string? Get(string name) =>
        _values.TryGetValue(name, out ConfigurationEntry? entry) ? entry.Value : ConfigurationDefaults.ForSharedName(name);

    private string GetShared(string name) => Get(name) ?? string.Empty;
}
