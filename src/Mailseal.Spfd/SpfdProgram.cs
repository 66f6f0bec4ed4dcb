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
            ToolName = "mailseal-spfd",
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

        using var logger = MailsealLogging.Create(new LoggingOptions { ToolName = "mailseal-spfd", Mode = LogMode.Spawn, SyslogSocket = socket });
        logger.Error("{Line}", line);
    }
}
