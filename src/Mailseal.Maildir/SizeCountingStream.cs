namespace Mailseal.Maildir;

/// <summary>
/// Passes writes on and counts what Dovecot's file name carries: S= (bytes) and W= (bytes with
/// every bare LF counted as CRLF, the size IMAP reports).
/// </summary>
internal sealed class SizeCountingStream(Stream inner) : Stream
{
    private bool _lastWasCr;

    /// <summary>Bytes written.</summary>
    public long Bytes { get; private set; }

    /// <summary>Bytes written, with each LF not preceded by CR counted twice.</summary>
    public long VirtualBytes { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Bytes;

    public override long Position { get => Bytes; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Count(buffer);
        inner.Write(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Count(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Count(ReadOnlySpan<byte> buffer)
    {
        long extra = 0;
        bool lastWasCr = _lastWasCr;
        foreach (byte b in buffer)
        {
            if (b == (byte)'\n' && !lastWasCr)
                extra++;
            lastWasCr = b == (byte)'\r';
        }

        _lastWasCr = lastWasCr;
        Bytes += buffer.Length;
        VirtualBytes += buffer.Length + extra;
    }
}
