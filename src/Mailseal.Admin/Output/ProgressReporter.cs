using System.Globalization;

namespace Mailseal.Admin.Output;

/// <summary>
/// Progress of a bulk command on stderr, kept apart from the results on stdout so that
/// <c>mailseal-admin key import DIR &gt; report.txt</c> stays a clean report. On a terminal one
/// line is redrawn in place (a bar and the count, at most ten times a second, the last state
/// always drawn) and ended with a newline; elsewhere (<c>--progress</c> into a log) one line is
/// written per 5 % step, so a log of a 100,000-key import holds 20 lines, not 100,000.
/// </summary>
internal sealed class ProgressReporter
{
    private const int BarWidth = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _error;
    private readonly string _label;
    private readonly int _total;
    private readonly bool _enabled;
    private readonly bool _terminal;
    private readonly TimeProvider _time;
    private int _done;
    private int _lastStep = -1;
    private long _lastDraw;
    private bool _drawn;

    public ProgressReporter(TextWriter error, string label, int total, bool enabled, bool terminal, TimeProvider time)
    {
        _error = error;
        _label = label;
        _total = total;
        _enabled = enabled && total > 0;
        _terminal = terminal;
        _time = time;
    }

    /// <summary>One more item done.</summary>
    public void Advance()
    {
        _done++;
        if (!_enabled)
            return;
        if (_terminal)
        {
            long now = _time.GetTimestamp();
            if (_done == _total || !_drawn || _time.GetElapsedTime(_lastDraw, now) >= RedrawInterval)
            {
                _lastDraw = now;
                _drawn = true;
                _error.Write("\r" + Line());
            }

            return;
        }

        int step = (int)((long)_done * 20 / _total);
        if (step != _lastStep)
        {
            _lastStep = step;
            _error.WriteLine(Line());
        }
    }

    /// <summary>Ends the redrawn line on a terminal (call once, also when the run stops early).</summary>
    public void Finish()
    {
        if (_enabled && _terminal && _drawn)
            _error.WriteLine();
    }

    private string Line()
    {
        int percent = (int)((long)_done * 100 / _total);
        if (!_terminal)
            return string.Create(CultureInfo.InvariantCulture, $"{_label}: {_done}/{_total} ({percent}%)");
        int filled = (int)((long)_done * BarWidth / _total);
        return string.Create(CultureInfo.InvariantCulture, $"{_label} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {_done}/{_total} ({percent}%)");
    }
}
