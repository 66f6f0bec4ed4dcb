using Mailseal.Core.IO;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// Writes one new-format packet whose length is not known in advance, using partial body lengths
/// (RFC 9580 section 4.2.1.4): full 64 KiB parts, each announced as a partial length, and a last
/// part with a definite length when the stream is disposed. Memory is one part, whatever the size.
/// </summary>
internal sealed class PartialBodyStream : WriteOnlyStream
{
    /// <summary>Parts are 2^16 octets: a power of two as the RFC demands, above its 512-octet minimum
    /// for the first part, large enough that the one header octet per part costs nothing.</summary>
    private const int PartPower = 16;
    private const int PartSize = 1 << PartPower;

    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly byte[] _part = GC.AllocateUninitializedArray<byte>(PartSize);
    private int _fill;
    private bool _disposed;

    /// <summary>Starts the packet: writes the tag octet now.</summary>
    public PartialBodyStream(Stream inner, PacketTag tag, bool leaveOpen)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        _inner.WriteByte(PacketWriter.TagOctet(tag));
    }

    public override bool CanWrite => !_disposed;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            // A full part goes out as a partial length only once more data follows: the last part
            // must carry a definite length, so a part that might be the last one waits.
            if (_fill == PartSize)
            {
                _inner.WriteByte((byte)(0xE0 | PartPower));
                _inner.Write(_part, 0, PartSize);
                _fill = 0;
            }

            int n = Math.Min(buffer.Length, PartSize - _fill);
            buffer[..n].CopyTo(_part.AsSpan(_fill));
            _fill += n;
            buffer = buffer[n..];
        }
    }

    public override void Flush()
    {
        // Nothing can be flushed before the part is complete; the inner stream is flushed by its owner.
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            PacketWriter.WriteLength(_inner, _fill);
            _inner.Write(_part, 0, _fill);
            if (!_leaveOpen)
                _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
