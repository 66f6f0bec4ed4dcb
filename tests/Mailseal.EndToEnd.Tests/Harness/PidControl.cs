using System.Globalization;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// Looks at and stops processes by pid, never by name. A pid is only signalled when its
/// command line or name still contains what we expect (a recycled pid is left alone), and a
/// zombie counts as dead (NOTES.md pitfall 14).
/// </summary>
public static class PidControl
{
    /// <summary>Reads the first number in a pid file, or null when the file is absent or empty.</summary>
    public static int? ReadPidFile(string path)
    {
        var text = NativeMethods.ReadSmallFileUnlocked(path);
        var first = text?.Split('\n')[0].Trim();
        return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1 ? pid : null;
    }

    /// <summary>True when <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The process start time (jiffies since boot, /proc/PID/stat field 22), or null.</summary>
    public static long? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The command line and name of <paramref name="pid"/>, or an empty string.</summary>
    public static string Describe(int pid)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            var comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            return $"{comm}: {cmdline}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>
    /// Stops <paramref name="pid"/> if it is alive and its description contains
    /// <paramref name="expected"/>: sends <paramref name="signal"/>, waits up to
    /// <paramref name="grace"/>, then SIGKILL.
    /// </summary>
    /// <returns>False when the pid belonged to someone else and was left alone.</returns>
    public static async Task<bool> StopAsync(int pid, string expected, int signal, TimeSpan grace)
    {
        if (!IsAlive(pid))
        {
            return true;
        }

        if (!Describe(pid).Contains(expected, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        _ = NativeMethods.Kill(pid, signal);
        var deadline = DateTime.UtcNow + grace;
        while (IsAlive(pid) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(25).ConfigureAwait(false);
        }

        if (IsAlive(pid))
        {
            _ = NativeMethods.Kill(pid, NativeMethods.SigKill);
            for (var i = 0; i < 100 && IsAlive(pid); i++)
            {
                await Task.Delay(20).ConfigureAwait(false);
            }
        }

        return true;
    }
}
