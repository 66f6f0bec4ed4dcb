using Mailseal.Core.Cli;

namespace Mailseal.Core.Tests.Cli;

public class BlockingStreamTests
{
    [Fact]
    public async Task Asynchronous_reads_and_writes_complete_before_they_return()
    {
        using var source = new MemoryStream("hello, world"u8.ToArray());
        using var sink = new MemoryStream();
        await using var input = new BlockingStream(source);
        await using var output = new BlockingStream(sink);
        var buffer = new byte[5];

        var read = input.ReadAsync(buffer, CancellationToken.None);
        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal(5, await read);

        var write = output.WriteAsync(buffer.AsMemory(0, 5), CancellationToken.None);
        Assert.True(write.IsCompletedSuccessfully);
        Assert.True(output.FlushAsync(CancellationToken.None).IsCompletedSuccessfully);
        Assert.Equal("hello"u8.ToArray(), sink.ToArray());
    }

    [Fact]
    public async Task A_cancelled_token_is_honoured_before_any_io()
    {
        using var source = new MemoryStream("abc"u8.ToArray());
        await using var input = new BlockingStream(source);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await input.ReadAtLeastAsync(new byte[3], 3, throwOnEndOfStream: false, cancelled.Token));
        Assert.Equal(0, source.Position);
    }

    [Fact]
    public async Task An_io_error_surfaces_through_the_task()
    {
        await using var input = new BlockingStream(new FailingStream());

        var read = input.ReadAsync(new byte[3], CancellationToken.None);
        Assert.True(read.IsFaulted);
        await Assert.ThrowsAsync<IOException>(async () => await read);
    }

    private sealed class FailingStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("read failed");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
