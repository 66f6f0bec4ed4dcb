using System.Runtime.InteropServices;

namespace Mailseal.Policy;

/// <summary>
/// As much of epoll(7) and eventfd(2) as <see cref="PolicyEventLoop"/> (and the benchmarks' load
/// generator) need: one instance, level-triggered descriptors with a 64-bit tag as their data,
/// and a wait for the ready ones. Linux only; libc through LibraryImport, so NativeAOT needs no
/// marshalling stubs.
/// </summary>
internal sealed partial class Epoll : IDisposable
{
    /// <summary>EPOLLIN: input can be read (or the peer closed).</summary>
    public const uint In = 0x001;

    /// <summary>EPOLLOUT: output can be written.</summary>
    public const uint Out = 0x004;

    /// <summary>EPOLLERR: an error is pending (always reported).</summary>
    public const uint Error = 0x008;

    /// <summary>EPOLLHUP: the peer hung up (always reported).</summary>
    public const uint HangUp = 0x010;

    private const int Cloexec = 0x80000;
    private const int NonBlock = 0x800;
    private const int CtlAdd = 1;
    private const int CtlDel = 2;
    private const int CtlMod = 3;
    private const int Eintr = 4;

    private readonly int _fd;

    public Epoll()
    {
        _fd = EpollCreate1(Cloexec);
        if (_fd < 0)
            throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/>; its events carry <paramref name="data"/>.</summary>
    public void Add(nint fd, ulong data, uint events = In) => Control(CtlAdd, fd, data, events, "ADD");

    /// <summary>Changes what <paramref name="fd"/> is watched for.</summary>
    public void Modify(nint fd, ulong data, uint events) => Control(CtlMod, fd, data, events, "MOD");

    /// <summary>Stops watching <paramref name="fd"/> (a descriptor already closed is no error).</summary>
    public void Remove(nint fd)
    {
        var ev = default(Event);
        _ = EpollCtl(_fd, CtlDel, (int)fd, ref ev);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: no limit) and fills <paramref name="ready"/>; returns how many are ready.</summary>
    public int Wait(Span<Event> ready, int timeoutMs)
    {
        while (true)
        {
            var n = EpollWait(_fd, ref MemoryMarshal.GetReference(ready), ready.Length, timeoutMs);
            if (n >= 0)
                return n;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Eintr)
                throw new IOException($"epoll_wait failed: errno {errno}");
        }
    }

    /// <summary>Creates a non-blocking eventfd, a descriptor another thread makes readable with <see cref="Signal"/>.</summary>
    public static int CreateEventFd()
    {
        var fd = EventFd(0, Cloexec | NonBlock);
        if (fd < 0)
            throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        return fd;
    }

    /// <summary>Makes an eventfd readable (safe from any thread).</summary>
    public static void Signal(int eventFd)
    {
        ulong one = 1;
        _ = Write(eventFd, ref one, sizeof(ulong));
    }

    /// <summary>Closes a descriptor this class created.</summary>
    public static void CloseDescriptor(int fd) => _ = Close(fd);

    public void Dispose() => _ = Close(_fd);

    private void Control(int op, nint fd, ulong data, uint events, string name)
    {
        var ev = new Event { Events = events, Data = data };
        if (EpollCtl(_fd, op, (int)fd, ref ev) != 0)
            throw new IOException($"epoll_ctl {name} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epfd, int op, int fd, ref Event ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epfd, ref Event events, int maxEvents, int timeout);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initval, int flags);

    [LibraryImport("libc", EntryPoint = "write")]
    private static partial nint Write(int fd, ref ulong value, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>struct epoll_event, packed on x86-64: a 32-bit event mask, then 64 bits of data.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 12)]
    public struct Event
    {
        [FieldOffset(0)]
        public uint Events;

        [FieldOffset(4)]
        public ulong Data;
    }
}
