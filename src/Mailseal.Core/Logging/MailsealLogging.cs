using Serilog;
using Serilog.Core;

namespace Mailseal.Core.Logging;

/// <summary>
/// Builds a tool's Serilog logger the way DESIGN.md says: filters log to syslog (facility
/// mail); daemons to stderr for the journal (plus syslog if asked); spawn(8) mode to syslog
/// only. Never log message bodies or passwords: log addresses, queue ids, fingerprints, sizes.
/// </summary>
public static class MailsealLogging
{
    /// <summary>Creates the logger. Dispose it at exit to flush and close the socket.</summary>
    public static Logger Create(LoggingOptions options) => Create(options, out _);

    /// <summary>Creates the logger and returns its syslog sink (null when it has none), whose counters tests and status pages read.</summary>
    public static Logger Create(LoggingOptions options, out SyslogSink? syslog)
    {
        ArgumentNullException.ThrowIfNull(options);
        int pid = options.ProcessId ?? Environment.ProcessId;
        var configuration = new LoggerConfiguration().MinimumLevel.Is(options.MinimumLevel);
        syslog = null;
        bool wantSyslog = options.Mode is LogMode.Filter or LogMode.Spawn || options.DaemonAlsoSyslog;
        if (wantSyslog)
        {
            syslog = new SyslogSink(options.SyslogSocket, options.ToolName, pid, options.MaxSyslogMessageBytes, options.TimeProvider);
            configuration = configuration.WriteTo.Sink(syslog);
        }

        if (options.Mode == LogMode.Daemon)
        {
            configuration = configuration.WriteTo.Sink(new TextWriterSink(options.Stderr ?? Console.Error, options.ToolName, pid));
        }

        Logger logger = configuration.CreateLogger();
        return logger;
    }
}
