using System.Runtime.InteropServices;

namespace Mailseal.Benchmarks;

/// <summary>
/// As much of epoll(7) as <see cref="LockStepLoad"/> needs: one instance, descriptors added for
/// input with an index as their data, and a wait for the ready ones.
/// </summary>
internal sealed partial class Epoll : IDisposable
{
    private const int EpollCloexec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const uint EpollIn = 0x001;
    private const int Eintr = 4;

    private readonly int _fd;

    public Epoll()
    {
        _fd = EpollCreate1(EpollCloexec);
        if (_fd < 0)
            throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Watches <paramref name="fd"/> for input (level-triggered); its events carry <paramref name="index"/>.</summary>
    public void Add(nint fd, int index)
    {
        var ev = new Event { Events = EpollIn, Data = (ulong)index };
        if (EpollCtl(_fd, EpollCtlAdd, (int)fd, ref ev) != 0)
            throw new InvalidOperationException($"epoll_ctl ADD failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Stops watching <paramref name="fd"/>.</summary>
    public void Remove(nint fd)
    {
        var ev = default(Event);
        _ = EpollCtl(_fd, EpollCtlDel, (int)fd, ref ev);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for input; fills <paramref name="ready"/> with the indexes of ready descriptors and returns how many.</summary>
    public int Wait(Span<int> ready, int timeoutMs)
    {
        Span<Event> events = stackalloc Event[Math.Min(ready.Length, 256)];
        while (true)
        {
            var n = EpollWait(_fd, ref MemoryMarshal.GetReference(events), events.Length, timeoutMs);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                    continue;
                throw new InvalidOperationException($"epoll_wait failed: errno {errno}");
            }

            for (var k = 0; k < n; k++)
                ready[k] = (int)events[k].Data;
            return n;
        }
    }

    public void Dispose() => _ = Close(_fd);

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epfd, int op, int fd, ref Event ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epfd, ref Event events, int maxEvents, int timeout);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>struct epoll_event, packed on x86-64: a 32-bit event mask, then 64 bits of data.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 12)]
    private struct Event
    {
        [FieldOffset(0)]
        public uint Events;

        [FieldOffset(4)]
        public ulong Data;
    }
}
