using System.Diagnostics;
using System.Globalization;

namespace Mailseal.Maildir;

/// <summary>
/// The progress line on stderr: folder, messages done of total, encrypted, msg/s and MB/s of
/// the folder being worked on. On a terminal it is redrawn in place twice a second; otherwise
/// (--progress into a log) a line every 5 seconds.
/// </summary>
internal sealed class ProgressReporter : IDisposable
{
    private readonly TextWriter _error;
    private readonly bool _enabled;
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly Lock _lock = new();
    private Timer? _timer;
    private string _user = string.Empty;
    private FolderResult? _current;
    private Stopwatch _clock = new();

    public ProgressReporter(TextWriter error, bool enabled)
    {
        _error = error;
        _enabled = enabled;
    }

    /// <summary>Reports on <paramref name="result"/> from now on.</summary>
    public void Start(string user, FolderResult result)
    {
        if (!_enabled)
            return;
        lock (_lock)
        {
            Print(final: true);
            _user = user;
            _current = result;
            _clock = Stopwatch.StartNew();
            var period = _terminal ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(5);
            _timer ??= new Timer(_ => Tick(), null, period, period);
        }
    }

    /// <summary>Prints the last line and stops.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
            Print(final: true);
            _current = null;
        }
    }

    public void Dispose() => Stop();

    private void Tick()
    {
        lock (_lock)
            Print(final: false);
    }

    private void Print(bool final)
    {
        if (_current is not { } r || !_enabled)
            return;
        double s = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{_user} {r.Name}: {r.Done}/{r.Total} ({r.Encrypted} encrypted, {r.AlreadyEncrypted} already) {r.Done / s:0.0} msg/s {r.BytesIn / 1e6 / s:0.00} MB/s");
        try
        {
            if (_terminal)
                _error.Write("\r" + line + (final ? "\n" : "\u001b[K"));
            else
                _error.WriteLine(line);
            _error.Flush();
        }
        catch (IOException)
        {
            // stderr gone (a detached run): progress is optional.
        }

        if (final)
            _current = null;
    }
}
