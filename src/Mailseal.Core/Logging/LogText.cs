using System.Globalization;
using System.Text;
using Serilog.Events;

namespace Mailseal.Core.Logging;

/// <summary>
/// Renders an event as the one line both sinks write: Postfix's level prefix
/// (<c>warning: </c>, <c>error: </c>, <c>fatal: </c>), the message, and for an exception only
/// its type and message (never a stack trace). Control characters become spaces, so one event
/// is one line whatever a remote party put into a logged value.
/// </summary>
internal static class LogText
{
    public static string Render(LogEvent logEvent)
    {
        var sb = new StringBuilder();
        sb.Append(logEvent.Level switch
        {
            LogEventLevel.Warning => "warning: ",
            LogEventLevel.Error => "error: ",
            LogEventLevel.Fatal => "fatal: ",
            _ => string.Empty,
        });
        sb.Append(logEvent.RenderMessage(CultureInfo.InvariantCulture));
        if (logEvent.Exception is { } e)
        {
            sb.Append(" (").Append(e.GetType().Name).Append(": ").Append(e.Message).Append(')');
        }

        for (int i = 0; i < sb.Length; i++)
        {
            if (char.IsControl(sb[i]))
            {
                sb[i] = ' ';
            }
        }

        return sb.ToString();
    }
}
