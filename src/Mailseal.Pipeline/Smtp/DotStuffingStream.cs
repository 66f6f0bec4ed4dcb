namespace Mailseal.Pipeline.Smtp;

/// <summary>
/// A write-only stream that turns message bytes into the body of an SMTP DATA command:
/// line ends become CRLF (a bare LF or bare CR gets its CR/LF), a line that starts with "."
/// gets a second "." (RFC 5321 4.5.2). It never writes the terminating "." line: the caller
/// does that, and only once the whole message was written, which is what makes re-injection
/// atomic (a crash before it delivers nothing).
/// </summary>
internal sealed class DotStuffingStream : Stream
{
    private readonly Stream _inner;
    private readonly byte[] _buffer;
    private int _count;
    private bool _atLineStart = true;
    private bool _pendingCr;

    public DotStuffingStream(Stream inner, int bufferSize = 64 * 1024)
    {
        _inner = inner;
        _buffer = new byte[bufferSize];
    }

    /// <summary>True when the bytes written so far end with a complete line.</summary>
    public bool EndsWithLineBreak => _atLineStart && !_pendingCr;

    public long BytesIn { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        BytesIn += data.Length;
        foreach (byte b in data)
        {
            if (_pendingCr)
            {
                _pendingCr = false;
                Put((byte)'\r');
                Put((byte)'\n');
                _atLineStart = true;
                if (b == (byte)'\n')
                    continue;
            }

            if (b == (byte)'\r')
            {
                _pendingCr = true;
                continue;
            }

            if (b == (byte)'\n')
            {
                Put((byte)'\r');
                Put((byte)'\n');
                _atLineStart = true;
                continue;
            }

            if (_atLineStart && b == (byte)'.')
                Put((byte)'.');
            _atLineStart = false;
            Put(b);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Process in slices that fit the buffer at worst-case expansion (every byte doubled).
        int slice = _buffer.Length / 2 - 4;
        for (int i = 0; i < buffer.Length; i += slice)
        {
            var part = buffer.Slice(i, Math.Min(slice, buffer.Length - i));
            if (_count + part.Length * 2 + 4 > _buffer.Length)
                await FlushBufferAsync(cancellationToken).ConfigureAwait(false);
            Write(part.Span);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Ends the last line if the message did not, then flushes what is buffered.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_pendingCr || !_atLineStart)
        {
            _pendingCr = false;
            Put((byte)'\r');
            Put((byte)'\n');
            _atLineStart = true;
        }

        await FlushBufferAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Flush()
    {
        _inner.Write(_buffer, 0, _count);
        _count = 0;
        _inner.Flush();
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => FlushBufferAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async Task FlushBufferAsync(CancellationToken cancellationToken)
    {
        if (_count > 0)
        {
            await _inner.WriteAsync(_buffer.AsMemory(0, _count), cancellationToken).ConfigureAwait(false);
            _count = 0;
        }

        await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Put(byte b)
    {
        if (_count == _buffer.Length)
        {
            // Synchronous path only (Write(span) called directly with a large span).
            _inner.Write(_buffer, 0, _count);
            _count = 0;
        }

        _buffer[_count++] = b;
    }
}
