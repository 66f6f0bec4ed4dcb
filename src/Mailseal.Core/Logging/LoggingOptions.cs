using Mailseal.Core.Configuration;
using Serilog.Events;

namespace Mailseal.Core.Logging;

/// <summary>How <see cref="MailsealLogging"/> builds a tool's logger.</summary>
public sealed record LoggingOptions
{
    /// <summary>Program name in every line (<c>mailseal-pipe</c>).</summary>
    public required string ToolName { get; init; }

    /// <summary>Filter, daemon or spawn mode.</summary>
    public LogMode Mode { get; init; } = LogMode.Filter;

    /// <summary>The syslog socket (<c>syslog_socket</c>).</summary>
    public string SyslogSocket { get; init; } = ConfigurationDefaults.SyslogSocket;

    /// <summary>In <see cref="LogMode.Daemon"/> mode, also send lines to syslog.</summary>
    public bool DaemonAlsoSyslog { get; init; }

    /// <summary>Where daemon lines go; null = <see cref="Console.Error"/>.</summary>
    public TextWriter? Stderr { get; init; }

    /// <summary>Lowest level written.</summary>
    public LogEventLevel MinimumLevel { get; init; } = LogEventLevel.Information;

    /// <summary>Process id in the tag; null = this process.</summary>
    public int? ProcessId { get; init; }

    /// <summary>Longest syslog datagram in bytes.</summary>
    public int MaxSyslogMessageBytes { get; init; } = 2048;

    /// <summary>Clock for syslog timestamps; null = system.</summary>
    public TimeProvider? TimeProvider { get; init; }
}
