// NAME
//      mailseal-spfd - SPF policy server for Postfix (replaces postfix-policyd-spf-python)
// SYNOPSIS
//      mailseal-spfd [--config FILE | policyd-spf.conf] [options]          (spawn(8): stdin/stdout)
//      mailseal-spfd --listen inet:127.0.0.1:10045 [--listen unix:PATH]... (daemon)
// DESCRIPTION
//      Answers Postfix's check_policy_service requests (SMTPD_POLICY_README) with an RFC 7208
//      SPF check of the HELO and MAIL FROM identities: PREPEND a Received-SPF (or
//      Authentication-Results) header, or reject/defer as policyd-spf.conf(5) options say.
//      --config accepts a mailseal.conf ([spfd] section) or a policyd-spf.conf unchanged.
// DIAGNOSTICS
//      Daemon mode logs to stderr; spawn mode to syslog only (stderr is the Postfix connection).
//      A malformed request is logged and the connection closed without a reply. Exit 0 when
//      done, 75 for a configuration or start-up error; never a stack trace.
// SECURITY
//      Needs no privileges. Every request line, attribute count, wait and cache is bounded;
//      header values copied from the client are sanitised.
using Mailseal.Core.Cli;
using Mailseal.Policy;

namespace Mailseal.Spfd;

/// <summary>
/// Entry point of mailseal-spfd, callable from tests with their own streams. Accepts a
/// policyd-spf.conf wherever policyd-spf did (as the only argument) and behind <c>--config</c>;
/// such a file is translated into flags before the common <see cref="ToolHost"/> runs, so
/// flags on the command line still win (<see cref="PolicyDaemonProgram"/>, shared with mailseal-greyd).
/// </summary>
public static class SpfdProgram
{
    /// <summary>The name the tool is installed under and logs as.</summary>
    public const string ToolName = "mailseal-spfd";

    private static readonly PolicyDaemonDefinition Definition = new()
    {
        ToolName = ToolName,
        ConfigSection = "spfd",
        ManPage = SpfdManPage.Info,
        DaemonFlags = ["--listen"],
        Rewrite = SpfdArguments.Rewrite,
        IgnoredNotice = ignored => ignored.Select(name => $"{ToolName}: policyd-spf option {name} is not supported and is ignored"),
        ReportToSyslogAlways = true,
        CreateCommand = SpfdCommand.Create,
    };

    /// <summary>Runs the tool; never throws, returns the exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="context">Streams; null = the console (and stdin is the process's own, as spawn(8) gives it).</param>
    /// <param name="cancellationToken">Stops a daemon (tests).</param>
    public static Task<int> RunAsync(IReadOnlyList<string> args, ToolContext? context, CancellationToken cancellationToken) =>
        PolicyDaemonProgram.RunAsync(Definition, args, context, cancellationToken);
}
