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
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Logging;

namespace Mailseal.Spfd;

/// <summary>
/// Entry point of mailseal-spfd, callable from tests with their own streams. Accepts a
/// policyd-spf.conf wherever policyd-spf did (as the only argument) and behind <c>--config</c>;
/// such a file is translated into flags before the common <see cref="ToolHost"/> runs, so
/// flags on the command line still win.
/// </summary>
public static class SpfdProgram
{
    /// <summary>The name the tool is installed under and logs as.</summary>
    public const string ToolName = "mailseal-spfd";

    /// <summary>Runs the tool; never throws, returns the exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="context">Streams; null = the console.</param>
    /// <param name="cancellationToken">Stops a daemon (tests).</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, ToolContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var processStdin = context is null;
        context ??= ToolContext.FromConsole();
        var spawn = !args.Any(a => a == "--listen" || a.StartsWith("--listen=", StringComparison.Ordinal));
        var syslogSocket = SharedOptions.SyslogSocket();
        Action<string> report = line => ReportToSyslog(line, args);

        IReadOnlyList<string> rewritten;
        IReadOnlyList<string> ignored;
        try
        {
            (rewritten, ignored) = SpfdArguments.Rewrite(args);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            var line = "mailseal-spfd: " + e.Message.ReplaceLineEndings(" ");
            report(line);
            if (!spawn)
                await context.Error.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.TempFail;
        }

        foreach (var name in ignored)
            report($"mailseal-spfd: policyd-spf option {name} is not supported and is ignored");

        var root = SpfdCommand.Create(context, syslogSocket, processStdin);
        var host = new ToolHost(root, new ToolHostOptions
        {
            ToolName = SpfdProgram.ToolName,
            ConfigSection = "spfd",
            Kind = ToolKind.Daemon,
            WriteErrorsToStderr = !spawn,
            ErrorReporter = report,
            ManPage = SpfdManPage.Info,
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

        using var logger = MailsealLogging.Create(new LoggingOptions { ToolName = SpfdProgram.ToolName, Mode = LogMode.Spawn, SyslogSocket = socket });
        logger.Error("{Line}", line);
    }
}
