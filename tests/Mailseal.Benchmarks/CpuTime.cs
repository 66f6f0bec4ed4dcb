using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Mailseal.Benchmarks;

/// <summary>
/// CPU time (user + system) consumed by this process, and by its waited-for children
/// (getrusage(2) RUSAGE_CHILDREN). Throughput per CPU-second does not fall when other work
/// shares the machine, as wall-clock throughput does.
/// </summary>
internal static partial class CpuTime
{
    private const int RusageChildren = -1;

    /// <summary>CPU time of all threads of this process so far.</summary>
    public static TimeSpan Self()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>CPU time of every child this process has waited for so far.</summary>
    public static unsafe TimeSpan Children()
    {
        // struct rusage on 64-bit Linux starts with ru_utime and ru_stime, two struct timeval
        // (seconds, microseconds) of 8 + 8 bytes; 14 longs follow. 18 longs in all.
        long* usage = stackalloc long[18];
        if (GetRUsage(RusageChildren, usage) != 0)
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        long microseconds = (usage[0] + usage[2]) * 1_000_000 + usage[1] + usage[3];
        return TimeSpan.FromMicroseconds(microseconds);
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static unsafe partial int GetRUsage(int who, long* usage);
}
