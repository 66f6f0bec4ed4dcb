using Mailseal.Core.IO;

namespace Mailseal.Core.Tests.IO;

public class ConcatenatedReadStreamTests
{
    [Fact]
    public async Task Prefixes_then_the_rest_in_order_skipping_empty_parts()
    {
        using var rest = new MemoryStream("-rest"u8.ToArray());
        byte[] backing = "xxabcxx"u8.ToArray();
        await using var stream = ConcatenatedReadStream.WithPrefixes(rest, backing.AsMemory(2, 3), ReadOnlyMemory<byte>.Empty, "-def"u8.ToArray());

        using var all = new MemoryStream();
        var buffer = new byte[2];
        int n;
        while ((n = await stream.ReadAsync(buffer, CancellationToken.None)) > 0)
            all.Write(buffer, 0, n);

        Assert.Equal("abc-def-rest"u8.ToArray(), all.ToArray());
        Assert.True(rest.CanRead); // not owned: still open
    }

    [Fact]
    public void Synchronous_reads_cross_from_one_stream_to_the_next()
    {
        using var first = new MemoryStream("12"u8.ToArray());
        using var second = new MemoryStream("345"u8.ToArray());
        using var stream = new ConcatenatedReadStream(first, Stream.Null, second);
        var buffer = new byte[10];

        Assert.Equal(2, stream.Read(buffer, 0, 10));
        Assert.Equal(3, stream.Read(buffer.AsSpan(2)));
        Assert.Equal(0, stream.Read(buffer, 0, 10));
        Assert.Equal("12345"u8.ToArray(), buffer[..5]);
        Assert.False(stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
    }

    [Fact]
    public void Over_memory_is_a_read_only_stream_of_it()
    {
        using var stream = ConcatenatedReadStream.Over(new ReadOnlyMemory<byte>("ab"u8.ToArray()));
        Assert.Equal(2, stream.Length);
        Assert.False(stream.CanWrite);
    }
}
