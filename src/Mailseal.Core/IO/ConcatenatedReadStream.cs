using System.Runtime.InteropServices;

namespace Mailseal.Core.IO;

/// <summary>
/// Reads several streams one after the other, as one: bytes already read from a stream put back
/// in front of its rest (<see cref="WithPrefixes"/>), or a spool read back before the input that
/// follows. It does not own them: disposing it leaves them open.
/// </summary>
public sealed class ConcatenatedReadStream(params Stream[] parts) : Stream
{
    private int _index;

    /// <summary><paramref name="prefixes"/> (bytes already read, not copied), then the rest of <paramref name="rest"/>.</summary>
    public static ConcatenatedReadStream WithPrefixes(Stream rest, params ReadOnlyMemory<byte>[] prefixes)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(prefixes);
        var parts = new Stream[prefixes.Length + 1];
        for (int i = 0; i < prefixes.Length; i++)
            parts[i] = Over(prefixes[i]);
        parts[^1] = rest;
        return new ConcatenatedReadStream(parts);
    }

    /// <summary>A read-only stream over <paramref name="bytes"/>: its array when it has one, else a copy.</summary>
    public static Stream Over(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out ArraySegment<byte> segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
            return 0;
        for (; _index < parts.Length; _index++)
        {
            int n = parts[_index].Read(buffer);
            if (n > 0)
                return n;
        }

        return 0;
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
            return 0;
        for (; _index < parts.Length; _index++)
        {
            int n = await parts[_index].ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0)
                return n;
        }

        return 0;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
