namespace Mailseal.Core.Cli;

/// <summary>How a tool is run, which decides how <see cref="ToolHost"/> reports errors.</summary>
public enum ToolKind
{
    /// <summary>
    /// In the mail path, run by Postfix per message (pipe(8), a content filter). Errors are one
    /// line <c>4.x.x tool: text</c> on stderr (pipe(8) copies it into the bounce or the log) and
    /// exit 75, including usage errors: a wiring mistake keeps mail queued.
    /// </summary>
    Filter,

    /// <summary>A long-running service (policy daemon, SMTP filter). Errors are <c>tool: text</c>, exit 75.</summary>
    Daemon,

    /// <summary>
    /// The admin's shell (<c>mailseal-admin</c>). Errors are <c>tool: text</c>; a usage error exits 64,
    /// a configuration error 78, other failures the exception's exit code (75 unless it says otherwise).
    /// </summary>
    Interactive,
}
