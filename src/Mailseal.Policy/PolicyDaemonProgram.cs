using System.CommandLine;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Logging;

namespace Mailseal.Policy;

/// <summary>
/// The entry point both policy daemons share: translate the compatibility input the daemon
/// accepts (policyd-spf.conf, postgrey's command line) into flags, report what could not be
/// translated, then let the common <see cref="ToolHost"/> read mailseal.conf's section and run
/// the daemon's command. Spawn mode (no listening flag: spawn(8) runs the daemon on
/// stdin/stdout) writes nothing to stderr, which belongs to the Postfix connection there; its
/// errors go to syslog.
/// </summary>
public static class PolicyDaemonProgram
{
    /// <summary>Runs <paramref name="daemon"/> with <paramref name="args"/>; never throws, returns the exit code.</summary>
    /// <param name="daemon">What differs between the daemons.</param>
    /// <param name="args">Command-line arguments as given.</param>
    /// <param name="context">Streams; null = the process's console (and its stdin in spawn mode).</param>
    /// <param name="cancellationToken">Stops a daemon (tests).</param>
    public static async Task<int> RunAsync(PolicyDaemonDefinition daemon, IReadOnlyList<string> args, ToolContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        ArgumentNullException.ThrowIfNull(args);
        var processStdin = context is null;
        context ??= ToolContext.FromConsole();
        var spawn = !args.Any(a => daemon.DaemonFlags.Any(flag => a == flag || a.StartsWith(flag + "=", StringComparison.Ordinal)));
        Action<string> report = line => ReportToSyslog(daemon.ToolName, line, args);

        IReadOnlyList<string> rewritten;
        IReadOnlyList<string> ignored;
        try
        {
            (rewritten, ignored) = daemon.Rewrite(args);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            var line = daemon.ToolName + ": " + e.Message.ReplaceLineEndings(" ");
            report(line);
            if (!spawn)
                await context.Error.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            return ExitCodes.TempFail;
        }

        if (ignored.Count > 0)
        {
            foreach (var line in daemon.IgnoredNotice(ignored))
            {
                if (daemon.ReportToSyslogAlways)
                    report(line);
                else if (!spawn)
                    await context.Error.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
        }

        var syslogSocket = SharedOptions.SyslogSocket();
        var root = daemon.CreateCommand(context, syslogSocket, processStdin);
        var host = new ToolHost(root, new ToolHostOptions
        {
            ToolName = daemon.ToolName,
            ConfigSection = daemon.ConfigSection,
            Kind = ToolKind.Daemon,
            WriteErrorsToStderr = !spawn,
            ErrorReporter = spawn || daemon.ReportToSyslogAlways ? report : null,
            ManPage = daemon.ManPage,
        }, context);
        return await host.InvokeAsync(rewritten, cancellationToken).ConfigureAwait(false);
    }

    private static void ReportToSyslog(string toolName, string line, IReadOnlyList<string> args)
    {
        var socket = "/dev/log";
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == "--syslog-socket")
                socket = args[i + 1];
        }

        using var logger = MailsealLogging.Create(new LoggingOptions { ToolName = toolName, Mode = LogMode.Spawn, SyslogSocket = socket });
        logger.Error("{Line}", line);
    }
}
