namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>A non-seekable read-only stream of <c>length</c> pseudo-random octets, generated as read.</summary>
public sealed class PatternStream : Stream
{
    private readonly long _length;
    private readonly Random _random;
    private long _position;

    public PatternStream(long length, int seed = 1)
    {
        _length = length;
        _random = new Random(seed);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, _length - _position);
        _random.NextBytes(buffer[..n]);
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
