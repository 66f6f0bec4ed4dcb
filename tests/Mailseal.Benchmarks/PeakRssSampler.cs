using System.Diagnostics;
using System.Globalization;

namespace Mailseal.Benchmarks;

/// <summary>
/// Runs a program and samples its VmHWM (peak resident set size of its own address space) from
/// /proc/PID/status every few milliseconds until it exits; the last sample is its peak.
/// getrusage(RUSAGE_CHILDREN) is no use here: a child started by .NET inherits the parent's
/// high-water mark from before its exec, so every child would "peak" at the runtime's own size.
/// </summary>
public static class PeakRssSampler
{
    /// <summary>How often /proc/PID/status is read.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(2);

    /// <summary>Runs <paramref name="program"/> and returns its exit code, peak RSS (KiB, 0 if never sampled), stdout and stderr.</summary>
    public static async Task<(int ExitCode, long PeakKib, string Stdout, string Stderr)> RunAsync(string program, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            startInfo.ArgumentList.Add(arg);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        string status = $"/proc/{process.Id}/status";
        long peak = 0;
        var clock = Stopwatch.StartNew();
        while (!process.HasExited)
        {
            if (clock.Elapsed > timeout)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{program} ran longer than {timeout.TotalSeconds} s and was killed");
            }

            peak = Math.Max(peak, ReadVmHwmKib(status));
            await Task.Delay(Interval, cancellationToken).ConfigureAwait(false);
        }

        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, peak, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>VmHWM in KiB from a /proc status file; 0 when the process is gone or a zombie (no memory lines).</summary>
    public static long ReadVmHwmKib(string statusPath)
    {
        try
        {
            foreach (string line in File.ReadLines(statusPath))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            // Exited between HasExited and the read.
        }
        catch (UnauthorizedAccessException)
        {
            // Reaped and the pid reused by another user's process: no sample.
        }

        return 0;
    }
}
