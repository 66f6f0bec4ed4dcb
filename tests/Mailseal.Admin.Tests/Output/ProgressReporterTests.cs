using Mailseal.Admin.Output;

namespace Mailseal.Admin.Tests.Output;

public class ProgressReporterTests
{
    [Fact]
    public void On_a_terminal_one_line_is_redrawn_sparingly_and_ends_at_the_total()
    {
        var error = new StringWriter();
        var progress = new ProgressReporter(error, "key import", 5000, enabled: true, terminal: true, TimeProvider.System);
        for (int i = 0; i < 5000; i++)
            progress.Advance();
        progress.Finish();

        string text = error.ToString();
        Assert.StartsWith("\rkey import [", text, StringComparison.Ordinal);
        Assert.EndsWith($"\rkey import [{new string('#', 30)}] 5000/5000 (100%)\n", text, StringComparison.Ordinal);
        Assert.InRange(text.Count(c => c == '\r'), 2, 500);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Into_a_log_there_is_a_line_per_five_percent()
    {
        var error = new StringWriter();
        var progress = new ProgressReporter(error, "key import", 400, enabled: true, terminal: false, TimeProvider.System);
        for (int i = 0; i < 400; i++)
            progress.Advance();
        progress.Finish();

        string[] lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(21, lines.Length);
        Assert.Equal("key import: 1/400 (0%)", lines[0]);
        Assert.Equal("key import: 20/400 (5%)", lines[1]);
        Assert.Equal("key import: 400/400 (100%)", lines[^1]);
    }

    [Fact]
    public void Not_asked_for_or_nothing_to_do_it_writes_nothing()
    {
        var error = new StringWriter();
        var off = new ProgressReporter(error, "key import", 10, enabled: false, terminal: true, TimeProvider.System);
        off.Advance();
        off.Finish();
        var empty = new ProgressReporter(error, "key import", 0, enabled: true, terminal: false, TimeProvider.System);
        empty.Finish();
        Assert.Empty(error.ToString());
    }
}
