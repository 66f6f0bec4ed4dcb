namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>Reads <c>goodOctets</c> zero octets, then throws an IOException, like a pipe that breaks.</summary>
public sealed class FailingStream : Stream
{
    private readonly long _goodOctets;
    private long _position;

    public FailingStream(long goodOctets) => _goodOctets = goodOctets;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_position >= _goodOctets)
            throw new IOException("input broke");
        int n = (int)Math.Min(count, _goodOctets - _position);
        Array.Clear(buffer, offset, n);
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
