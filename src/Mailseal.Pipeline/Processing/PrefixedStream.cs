namespace Mailseal.Pipeline.Processing;

/// <summary>A read-only stream: some bytes already read, then the rest of another stream.</summary>
internal sealed class PrefixedStream : Stream
{
    private readonly ReadOnlyMemory<byte>[] _prefixes;
    private readonly Stream _rest;
    private int _index;
    private int _offset;

    public PrefixedStream(Stream rest, params ReadOnlyMemory<byte>[] prefixes)
    {
        _rest = rest;
        _prefixes = prefixes;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (TakePrefix(buffer, out int n))
            return n;
        return _rest.Read(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (TakePrefix(buffer.Span, out int n))
            return n;
        return await _rest.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private bool TakePrefix(Span<byte> buffer, out int n)
    {
        while (_index < _prefixes.Length)
        {
            var current = _prefixes[_index].Span[_offset..];
            if (current.IsEmpty)
            {
                _index++;
                _offset = 0;
                continue;
            }

            n = Math.Min(current.Length, buffer.Length);
            current[..n].CopyTo(buffer);
            _offset += n;
            return true;
        }

        n = 0;
        return false;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
