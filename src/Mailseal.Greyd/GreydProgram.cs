// NAME
//      mailseal-greyd - greylisting policy server for Postfix (replaces postgrey and sqlgrey)
// SYNOPSIS
//      mailseal-greyd --inet=10023 [postgrey options]                  (postgrey's command line)
//      mailseal-greyd --listen inet:127.0.0.1:10023 [--store sqlite:PATH|postgresql:CONNSTRING]
//      mailseal-greyd --import-postgrey /var/lib/postgrey [--store ...]
// DESCRIPTION
//      Answers Postfix's check_policy_service requests with postgrey 1.37's greylisting: the
//      triplet (client network, normalised sender, recipient) must be retried after --delay
//      seconds; whitelists in postgrey's file formats; a client auto-whitelist; one X-Greylist
//      header per message. The greylist lives in an SQLite file (one host) or a PostgreSQL
//      database several MX hosts share.
// DIAGNOSTICS
//      Logs to stderr (the journal), one postgrey-style line per decision. A store that does not
//      answer within --store-timeout is logged and the request answered DUNNO (fail open).
//      Exit 0 when done, 75 for a configuration or start-up error; never a stack trace.
// SECURITY
//      Needs no privileges beyond its database. Every request line, attribute count, wait, cache
//      and whitelist regex is bounded; SQL is parameterised.
using Mailseal.Core.Cli;
using Mailseal.Policy;

namespace Mailseal.Greyd;

/// <summary>
/// Entry point of mailseal-greyd, callable from tests with their own streams. postgrey's own
/// spellings are rewritten into flags first (<see cref="GreydArguments"/>), then the common
/// <see cref="ToolHost"/> reads mailseal.conf's <c>[greyd]</c> section and runs the command
/// (<see cref="PolicyDaemonProgram"/>, shared with mailseal-spfd).
/// </summary>
public static class GreydProgram
{
    /// <summary>The name the tool is installed under and logs as.</summary>
    public const string ToolName = "mailseal-greyd";

    private static readonly PolicyDaemonDefinition Definition = new()
    {
        ToolName = ToolName,
        ConfigSection = "greyd",
        ManPage = GreydManPage.Info,
        DaemonFlags = ["--listen", "--inet", "-i", "--unix", "-u", "--import-postgrey"],
        Rewrite = GreydArguments.Rewrite,
        IgnoredNotice = ignored => [$"{ToolName}: postgrey option(s) {string.Join(", ", ignored)} ignored (systemd runs the daemon)"],
        CreateCommand = (context, syslogSocket, _) => GreydCommand.Create(context, syslogSocket),
    };

    /// <summary>Runs the tool; never throws, returns the exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="context">Streams; null = the console.</param>
    /// <param name="cancellationToken">Stops a daemon (tests).</param>
    public static Task<int> RunAsync(IReadOnlyList<string> args, ToolContext? context, CancellationToken cancellationToken) =>
        PolicyDaemonProgram.RunAsync(Definition, args, context, cancellationToken);
}
