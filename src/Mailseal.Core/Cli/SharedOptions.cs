using System.CommandLine;
using Mailseal.Core.Configuration;

namespace Mailseal.Core.Cli;

/// <summary>
/// One definition of each shared configuration name as a command-line option, so every tool
/// spells, describes, defaults and checks <c>--key-dir</c>, <c>--database</c>,
/// <c>--local-domains</c>, <c>--recipient-delimiter</c> and <c>--syslog-socket</c> the same way,
/// and of the limits both mail filters (mailseal-encrypt, mailseal-pipe) take in their sections.
/// Each call returns a new option (an option belongs to one command). <see cref="ToolHost"/>
/// fills them from the configuration file when the flag is not given.
/// </summary>
public static class SharedOptions
{
    /// <summary><c>--key-dir DIR</c>.</summary>
    public static Option<string> KeyDir() => Create(ConfigurationNames.KeyDir, "DIR",
        "Folder of recipient certificates, one ADDRESS.asc file per address (a symlink for an alias).");

    /// <summary><c>--database CONNSTRING</c>.</summary>
    public static Option<string> Database() => Create(ConfigurationNames.Database, "CONNSTRING",
        "PostgreSQL connection string (Host=...;Database=...;Username=...) for the users and aliases tables; empty means the key folder only.");

    /// <summary><c>--local-domains LIST</c>.</summary>
    public static Option<string> LocalDomains() => Create(ConfigurationNames.LocalDomains, "LIST",
        "Domains whose addresses are local accounts, comma or blank separated. Mail to a local address is encrypted or deferred, never stored in plaintext.");

    /// <summary><c>--recipient-delimiter CHARS</c>.</summary>
    public static Option<string> RecipientDelimiter() => Create(ConfigurationNames.RecipientDelimiter, "CHARS",
        "Characters that start an address extension (bob+lists@ is bob@), as Postfix's recipient_delimiter; empty means none.");

    /// <summary><c>--syslog-socket PATH</c>.</summary>
    public static Option<string> SyslogSocket() => Create(ConfigurationNames.SyslogSocket, "PATH",
        "The syslog unix datagram socket log lines are sent to.");

    /// <summary>
    /// <c>--classify-limit BYTES</c>: <see cref="Mime.MimeLimits.MaxClassifyBytes"/>, the most body
    /// held in memory to recognise mail that is already encrypted.
    /// </summary>
    public static Option<int> ClassifyLimit()
    {
        var option = new Option<int>("--classify-limit")
        {
            Description = "Largest body, in bytes, held in memory to recognise mail that is already encrypted (PGP/MIME, inline PGP, S/MIME) and pass it on unchanged. A larger body is checked as it streams, which covers those forms but not nested multiparts: such a body is encrypted again (never plaintext, but the reader decrypts twice).",
            HelpName = "BYTES",
            DefaultValueFactory = _ => Mime.MimeLimits.Default.MaxClassifyBytes,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
                result.AddError("--classify-limit must not be negative");
        });
        return option;
    }

    /// <summary>
    /// <c>--key-read-timeout SECONDS</c>: <see cref="Keys.KeyDirectoryOptions.KeyReadTimeout"/>, the
    /// longest wait for one key-folder lookup (open, examine, read, parse).
    /// </summary>
    public static Option<int> KeyReadTimeout()
    {
        var option = new Option<int>("--key-read-timeout")
        {
            Description = "Longest wait, in seconds, for one key file to be opened and read. A key file on a hung file system (NFS, FUSE) then defers the message (4.4.3, exit 75 or 451) instead of holding it until Postfix's command_time_limit.",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => (int)Keys.KeyDirectoryOptions.DefaultKeyReadTimeout.TotalSeconds,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 3600)
                result.AddError("--key-read-timeout must be between 1 and 3600 seconds");
        });
        return option;
    }

    private static Option<string> Create(string name, string valueName, string description)
    {
        string defaultValue = ConfigurationDefaults.ForSharedName(name) ?? string.Empty;
        var option = new Option<string>(ConfigurationNames.ToFlag(name))
        {
            Description = description,
            HelpName = valueName,
            DefaultValueFactory = _ => defaultValue,
        };
        option.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>() ?? string.Empty;
            if (SharedValues.Validate(name, value) is { } problem)
            {
                result.AddError(problem);
            }
        });
        return option;
    }
}
