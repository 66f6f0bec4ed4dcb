using Serilog;
using Serilog.Events;

namespace Mailseal.Core.Logging;

/// <summary>Writes a <see cref="MailLogLine"/> through Serilog as-is (no quoting of the text).</summary>
public static class MailLogExtensions
{
    /// <summary>Logs <paramref name="line"/> at <paramref name="level"/>.</summary>
    public static void Mail(this ILogger logger, MailLogLine line, LogEventLevel level = LogEventLevel.Information)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(line);
        logger.Write(level, "{MailLog:l}", line.ToString());
    }
}
