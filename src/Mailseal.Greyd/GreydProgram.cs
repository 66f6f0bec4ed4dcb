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
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Logging;

namespace Mailseal.Greyd;

/// <summary>
/// Entry point of mailseal-greyd, callable from tests with their own streams. postgrey's own
/// spellings are rewritten into flags first (<see cref="GreydArguments"/>), then the common
/// <see cref="ToolHost"/> reads mailseal.conf's <c>[greyd]</c> section and runs the command.
/// </summary>
public static class GreydProgram
{
    /// <summary>The name the tool is installed under and logs as.</summary>
    public const string ToolName = "mailseal-greyd";

    /// <summary>Runs the tool; never throws, returns the exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="context">Streams; null = the console.</param>
    /// <param name="cancellationToken">Stops a daemon (tests).</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, ToolContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        context ??= ToolContext.FromConsole();
        var spawn = !args.Any(a => a is "--listen" or "--inet" or "-i" or "--unix" or "-u" or "--import-postgrey"
            || a.StartsWith("--listen=", StringComparison.Ordinal) || a.StartsWith("--inet=", StringComparison.Ordinal)
            || a.StartsWith("--unix=", StringComparison.Ordinal) || a.StartsWith("--import-postgrey=", StringComparison.Ordinal));
        Action<string> report = line => ReportToSyslog(line, args);

        IReadOnlyList<string> rewritten;
        IReadOnlyList<string> ignored;
        try
        {
            (rewritten, ignored) = GreydArguments.Rewrite(args);
        }
        catch (FormatException e)
        {
            var line = "mailseal-greyd: " + e.Message.ReplaceLineEndings(" ");
            report(line);
            if (!spawn)
                await context.Error.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.TempFail;
        }

        if (ignored.Count > 0 && !spawn)
            await context.Error.WriteLineAsync($"mailseal-greyd: postgrey option(s) {string.Join(", ", ignored)} ignored (systemd runs the daemon)".AsMemory(), cancellationToken).ConfigureAwait(false);

        var root = GreydCommand.Create(context, SharedOptions.SyslogSocket());
        var host = new ToolHost(root, new ToolHostOptions
        {
            ToolName = GreydProgram.ToolName,
            ConfigSection = "greyd",
            Kind = ToolKind.Daemon,
            WriteErrorsToStderr = !spawn,
            ErrorReporter = spawn ? report : null,
            ManPage = GreydManPage.Info,
        }, context);
        return await host.InvokeAsync(rewritten, cancellationToken).ConfigureAwait(false);
    }

    private static void ReportToSyslog(string line, IReadOnlyList<string> args)
    {
        var socket = "/dev/log";
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == "--syslog-socket")
                socket = args[i + 1];
        }

        using var logger = MailsealLogging.Create(new LoggingOptions { ToolName = GreydProgram.ToolName, Mode = LogMode.Spawn, SyslogSocket = socket });
        logger.Error("{Line}", line);
    }
}
