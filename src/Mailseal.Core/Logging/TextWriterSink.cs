using System.Globalization;
using Serilog.Core;
using Serilog.Events;

namespace Mailseal.Core.Logging;

/// <summary>
/// Writes each event as <c>tool[pid]: message</c> to a text writer (a daemon's stderr, which
/// the journal or the service manager timestamps). A failing writer drops the line.
/// </summary>
public sealed class TextWriterSink : ILogEventSink
{
    private readonly TextWriter _writer;
    private readonly string _tag;
    private readonly Lock _lock = new();

    /// <summary>Creates the sink.</summary>
    public TextWriterSink(TextWriter writer, string toolName, int processId)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentException.ThrowIfNullOrEmpty(toolName);
        _writer = writer;
        _tag = string.Create(CultureInfo.InvariantCulture, $"{toolName}[{processId}]");
    }

    /// <inheritdoc />
    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        string line = _tag + ": " + LogText.Render(logEvent);
        lock (_lock)
        {
            try
            {
                _writer.WriteLine(line);
                _writer.Flush();
            }
            catch (IOException)
            {
                // stderr gone: logging must not take the daemon down.
            }
            catch (ObjectDisposedException)
            {
                // Same.
            }
        }
    }
}
