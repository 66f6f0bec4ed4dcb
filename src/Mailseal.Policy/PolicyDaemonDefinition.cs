using System.CommandLine;
using Mailseal.Core.Cli;

namespace Mailseal.Policy;

/// <summary>What one policy daemon gives <see cref="PolicyDaemonProgram"/>: its names, its compatibility translation and its command.</summary>
public sealed record PolicyDaemonDefinition
{
    /// <summary>The name the tool is installed under and logs as (<c>mailseal-greyd</c>).</summary>
    public required string ToolName { get; init; }

    /// <summary>Its section in mailseal.conf (<c>greyd</c>).</summary>
    public required string ConfigSection { get; init; }

    /// <summary>Its man page.</summary>
    public required ManPageInfo ManPage { get; init; }

    /// <summary>Flags that make it a daemon (or a one-shot job) rather than a spawn(8) child: <c>--listen</c>, and its own.</summary>
    public required IReadOnlyList<string> DaemonFlags { get; init; }

    /// <summary>Turns the accepted foreign spellings into flags; returns them and the foreign options it ignores. Throws <see cref="FormatException"/> or an I/O exception.</summary>
    public required Func<IReadOnlyList<string>, (IReadOnlyList<string> Rewritten, IReadOnlyList<string> Ignored)> Rewrite { get; init; }

    /// <summary>The lines that tell the admin which options were ignored.</summary>
    public required Func<IReadOnlyList<string>, IEnumerable<string>> IgnoredNotice { get; init; }

    /// <summary>True: ignored options and errors go to syslog in daemon mode too (not only in spawn mode); false: to stderr only.</summary>
    public bool ReportToSyslogAlways { get; init; }

    /// <summary>Builds the root command from the streams, the shared <c>--syslog-socket</c> option and whether the streams are the process's own.</summary>
    public required Func<ToolContext, Option<string>, bool, ToolRootCommand> CreateCommand { get; init; }
}
