namespace Mailseal.Core.IO;

/// <summary>
/// Reads several streams one after the other, as one. It does not own them: disposing it
/// leaves them open.
/// </summary>
internal sealed class ConcatenatedReadStream(params Stream[] parts) : Stream
{
    private int _index;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

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

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
