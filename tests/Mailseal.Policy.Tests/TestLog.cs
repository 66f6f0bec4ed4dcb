using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Mailseal.Policy.Tests;

/// <summary>A Serilog logger that keeps rendered messages in memory for asserts.</summary>
internal sealed class TestLog : ILogEventSink
{
    private readonly List<string> _lines = [];

    public TestLog()
    {
        Logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(this).CreateLogger();
    }

    public ILogger Logger { get; }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return _lines.ToList();
        }
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_lines)
            _lines.Add(logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
    }
}
