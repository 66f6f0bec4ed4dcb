using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Mailseal.Benchmarks;

/// <summary>
/// What a page fault costs on this machine: the figure behind a process start. A NativeAOT
/// process takes a few hundred faults before it answers (its image's code and data, the GC heap,
/// thread stacks, one fault each; the runtime maps its own data section in bulk); where a fault
/// is dear, as in a virtual machine that traps every one, they are much of the start.
/// </summary>
internal static partial class PageFaults
{
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;
    private const int MadvPopulateWrite = 23;
    private const int PageSize = 4096;

    /// <summary>
    /// Microseconds per page of fresh anonymous memory: touched one page at a time (a fault
    /// each), and mapped all at once with madvise(MADV_POPULATE_WRITE) (no fault; null where the
    /// kernel lacks it, before Linux 5.14). Medians of <paramref name="repeats"/> runs of
    /// <paramref name="pages"/> pages.
    /// </summary>
    public static unsafe (double Touched, double? Populated) CostMicroseconds(int pages = 2048, int repeats = 7)
    {
        var touched = new List<double>();
        var populated = new List<double>();
        nuint length = (nuint)pages * PageSize;
        for (int r = 0; r < repeats; r++)
        {
            byte* a = Map(length);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < pages; i++)
                a[(long)i * PageSize] = 1;
            touched.Add(clock.Elapsed.TotalMicroseconds / pages);
            _ = Munmap(a, length);

            byte* b = Map(length);
            clock.Restart();
            int rc = Madvise(b, length, MadvPopulateWrite);
            double elapsed = clock.Elapsed.TotalMicroseconds / pages;
            if (rc == 0)
                populated.Add(elapsed);
            _ = Munmap(b, length);
        }

        return (Statistics.Median(touched), populated.Count == repeats ? Statistics.Median(populated) : null);
    }

    private static unsafe byte* Map(nuint length)
    {
        byte* p = Mmap(null, length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        return p == (byte*)-1 ? throw new InvalidOperationException($"mmap failed: errno {Marshal.GetLastPInvokeError()}") : p;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static unsafe partial byte* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static unsafe partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static unsafe partial int Madvise(void* address, nuint length, int advice);
}
