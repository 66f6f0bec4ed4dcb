namespace Mailseal.Benchmarks;

/// <summary>The machine's load average (1, 5 and 15 minutes) from /proc/loadavg, for every benchmark's header.</summary>
public static class LoadAverage
{
    /// <summary>"1.23 0.98 0.75", or "unknown" when /proc/loadavg cannot be read.</summary>
    public static string Read()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
