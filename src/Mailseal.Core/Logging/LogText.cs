using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Parsing;

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
        AppendMessage(sb, logEvent);
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

    /// <summary>
    /// The message with its properties in place, strings as they are: Serilog's own rendering
    /// quotes string values (<c>"5D8F6B266C7: to=&lt;...&gt;"</c>), which is not Postfix's log
    /// shape and defeats every grep, pflogsumm and fail2ban rule written for it.
    /// </summary>
    private static void AppendMessage(StringBuilder sb, LogEvent logEvent)
    {
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is not PropertyToken property)
            {
                sb.Append(token.ToString());
                continue;
            }

            if (!logEvent.Properties.TryGetValue(property.PropertyName, out var value))
            {
                sb.Append(property.ToString());
            }
            else if (value is ScalarValue { Value: string text })
            {
                sb.Append(text);
            }
            else
            {
                using var writer = new StringWriter(CultureInfo.InvariantCulture);
                value.Render(writer, property.Format, CultureInfo.InvariantCulture);
                sb.Append(writer.ToString());
            }
        }
    }
}
