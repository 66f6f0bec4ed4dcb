using Mailseal.Core.IO;

namespace Mailseal.Core.Tests.IO;

public class WriteOnlyStreamTests
{
    [Fact]
    public async Task Asynchronous_writes_run_on_the_callers_thread_and_complete_at_once()
    {
        await using var stream = new RecordingStream();
        int caller = Environment.CurrentManagedThreadId;

        var write = stream.WriteAsync("abc"u8.ToArray(), CancellationToken.None);
        Assert.True(write.IsCompletedSuccessfully);
        var flush = stream.FlushAsync(CancellationToken.None);
        Assert.True(flush.IsCompletedSuccessfully);
        await stream.WriteAsync("de"u8.ToArray().AsMemory(), CancellationToken.None);

        Assert.Equal("abcde"u8.ToArray(), stream.Written.ToArray());
        Assert.All(stream.Threads, t => Assert.Equal(caller, t));
        Assert.Equal(1, stream.Flushes);
    }

    [Fact]
    public async Task A_failing_write_faults_the_task_instead_of_throwing()
    {
        await using var stream = new RecordingStream { Fail = true };

        var write = stream.WriteAsync(new byte[1], CancellationToken.None);

        Assert.True(write.IsFaulted);
        await Assert.ThrowsAsync<IOException>(async () => await write);
    }

    [Fact]
    public async Task A_cancelled_write_writes_nothing()
    {
        await using var stream = new RecordingStream();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await stream.WriteAsync(new byte[1].AsMemory(), cancelled.Token));
        Assert.Equal(0, stream.Written.Length);
    }

    [Fact]
    public void Reading_and_seeking_are_not_supported_and_arguments_are_checked()
    {
        using var stream = new RecordingStream();

        Assert.False(stream.CanRead);
        Assert.False(stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => stream.Read(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Write(new byte[2], 1, 5));
        stream.WriteByte(7);
        Assert.Equal(new byte[] { 7 }, stream.Written.ToArray());
    }

    private sealed class RecordingStream : WriteOnlyStream
    {
        public MemoryStream Written { get; } = new();

        public List<int> Threads { get; } = [];

        public int Flushes { get; private set; }

        public bool Fail { get; init; }

        public override bool CanWrite => true;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Fail)
                throw new IOException("disk full");
            Threads.Add(Environment.CurrentManagedThreadId);
            Written.Write(buffer);
        }

        public override void Flush() => Flushes++;

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                Written.Dispose();
            base.Dispose(disposing);
        }
    }
}
