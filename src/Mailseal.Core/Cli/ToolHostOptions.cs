using Mailseal.Core.Configuration;

namespace Mailseal.Core.Cli;

/// <summary>How <see cref="ToolHost"/> runs one tool.</summary>
public sealed record ToolHostOptions
{
    /// <summary>The binary name used in every error line and log tag (<c>mailseal-encrypt</c>).</summary>
    public required string ToolName { get; init; }

    /// <summary>The tool's configuration section (<c>encrypt</c>), or null when it has none.</summary>
    public string? ConfigSection { get; init; }

    /// <summary>How errors are reported; see <see cref="ToolKind"/>.</summary>
    public ToolKind Kind { get; init; } = ToolKind.Filter;

    /// <summary>Exit code for a command-line usage error; null = 75 for filters and daemons, 64 for interactive tools.</summary>
    public int? UsageExitCode { get; init; }

    /// <summary>Enhanced status code a filter prints for a usage error (a wiring mistake is a configuration error).</summary>
    public string UsageStatusCode { get; init; } = ConfigurationException.ConfigurationStatusCode;

    /// <summary>The file read when <c>--config</c> is not given (a missing default file means embedded defaults).</summary>
    public string DefaultConfigPath { get; init; } = ConfigurationDefaults.ConfigPath;

    /// <summary>Bounds on the configuration file.</summary>
    public ConfigurationLimits ConfigurationLimits { get; init; } = ConfigurationLimits.Default;

    /// <summary>Sections and metadata for the man page the hidden <c>--generate-man-page</c> option prints.</summary>
    public ManPageInfo ManPage { get; init; } = new();

    /// <summary>
    /// False when stderr must not be written (spawn(8) mode, where stderr belongs to the Postfix
    /// connection); the error line then goes only to <see cref="ErrorReporter"/>.
    /// </summary>
    public bool WriteErrorsToStderr { get; init; } = true;

    /// <summary>Also called with every error line (for example to send it to syslog); must not throw.</summary>
    public Action<string>? ErrorReporter { get; init; }

    /// <summary>
    /// On SIGINT/SIGTERM, cancel the action's token and wait this long before the process ends;
    /// null = System.CommandLine does not handle the signals (the tool does, or the default applies).
    /// </summary>
    public TimeSpan? ProcessTerminationTimeout { get; init; }

    /// <summary>Longest error line in characters; longer messages are cut.</summary>
    public int MaxErrorLineLength { get; init; } = 500;
}
