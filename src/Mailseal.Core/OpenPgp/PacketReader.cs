using System.Buffers.Binary;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Forward-only packet framing reader (RFC 9580 section 4.2): legacy and OpenPGP format headers,
/// one-, two- and five-octet lengths, legacy indeterminate length, and partial body lengths,
/// which are accepted only on the data packets RFC 9580 allows them on (compressed,
/// symmetrically encrypted, literal, SEIPD) and nowhere in a key. Every length is checked
/// against what remains and against <see cref="OpenPgpReadOptions.MaxPacketBytes"/> before use.
/// </summary>
internal sealed class PacketReader
{
    private readonly ReadOnlyMemory<byte> _data;
    private readonly int _maxPacketBytes;
    private int _pos;

    public PacketReader(ReadOnlyMemory<byte> data, OpenPgpReadOptions options)
    {
        _data = data;
        _maxPacketBytes = options.MaxPacketBytes;
    }

    /// <summary>Offset of the next packet header.</summary>
    public int Position => _pos;

    /// <summary>Whether input remains.</summary>
    public bool AtEnd => _pos >= _data.Length;

    /// <summary>Reads the next packet, or returns false at the end of the input.</summary>
    /// <exception cref="OpenPgpFormatException">A malformed or truncated header or body.</exception>
    public bool TryRead(out RawPacket packet)
    {
        packet = default;
        if (_pos >= _data.Length)
            return false;
        var span = _data.Span;
        int start = _pos;
        byte ctb = span[_pos];
        if ((ctb & 0x80) == 0)
            throw new OpenPgpFormatException($"octet 0x{ctb:X2} at offset {start} is not an OpenPGP packet header (bit 7 clear): not OpenPGP data, or corrupted");

        int p = start + 1;
        if ((ctb & 0x40) == 0)
        {
            int tag = (ctb >> 2) & 0x0F;
            if (tag == 0)
                throw new OpenPgpFormatException($"packet at offset {start} has the reserved tag 0");
            int lengthType = ctb & 0x03;
            long length;
            switch (lengthType)
            {
                case 0:
                    Need(span, p, 1, start);
                    length = span[p];
                    p += 1;
                    break;
                case 1:
                    Need(span, p, 2, start);
                    length = BinaryPrimitives.ReadUInt16BigEndian(span.Slice(p, 2));
                    p += 2;
                    break;
                case 2:
                    Need(span, p, 4, start);
                    length = BinaryPrimitives.ReadUInt32BigEndian(span.Slice(p, 4));
                    p += 4;
                    break;
                default:
                    length = span.Length - p;
                    break;
            }

            packet = Body(tag, start, p, length, newFormat: false);
            return true;
        }
        else
        {
            int tag = ctb & 0x3F;
            if (tag == 0)
                throw new OpenPgpFormatException($"packet at offset {start} has the reserved tag 0");
            Need(span, p, 1, start);
            int first = span[p];
            if (first is < 224 or 255)
            {
                long length = ReadNewLength(span, ref p, start);
                packet = Body(tag, start, p, length, newFormat: true);
                return true;
            }

            if (!PartialAllowed(tag))
                throw new OpenPgpFormatException($"packet at offset {start} (tag {tag}) uses a partial body length, which RFC 9580 allows only on data packets");

            // Partial body lengths: chunks of 2^n octets, the last one with a normal length.
            var joined = new MemoryStream();
            bool firstChunk = true;
            while (true)
            {
                Need(span, p, 1, start);
                int o = span[p];
                if (o is >= 224 and < 255)
                {
                    p++;
                    int chunk = 1 << (o & 0x1F);
                    if (firstChunk && chunk < 512)
                        throw new OpenPgpFormatException($"packet at offset {start}: the first partial body chunk is {chunk} octets; RFC 9580 requires at least 512");
                    AppendChunk(span, joined, ref p, chunk, start, tag);
                    firstChunk = false;
                    continue;
                }

                long last = ReadNewLength(span, ref p, start);
                AppendChunk(span, joined, ref p, last, start, tag);
                break;
            }

            _pos = p;
            packet = new RawPacket(tag, joined.ToArray(), start, p - start, true);
            return true;
        }
    }

    private static bool PartialAllowed(int tag) => tag is (int)PacketTag.CompressedData or (int)PacketTag.SymmetricallyEncryptedData
        or (int)PacketTag.LiteralData or (int)PacketTag.SymmetricallyEncryptedIntegrityProtectedData or 20;

    private static long ReadNewLength(ReadOnlySpan<byte> span, ref int p, int start)
    {
        Need(span, p, 1, start);
        int first = span[p];
        if (first < 192)
        {
            p += 1;
            return first;
        }

        if (first < 224)
        {
            Need(span, p, 2, start);
            long l = ((first - 192) << 8) + span[p + 1] + 192;
            p += 2;
            return l;
        }

        if (first == 255)
        {
            Need(span, p, 5, start);
            long l = BinaryPrimitives.ReadUInt32BigEndian(span.Slice(p + 1, 4));
            p += 5;
            return l;
        }

        throw new OpenPgpFormatException($"packet at offset {start}: a partial body length where a final length is required");
    }

    private void AppendChunk(ReadOnlySpan<byte> span, MemoryStream joined, ref int p, long chunk, int start, int tag)
    {
        if (joined.Length + chunk > _maxPacketBytes)
            throw new OpenPgpFormatException($"packet at offset {start} (tag {tag}) is larger than {_maxPacketBytes} octets (MaxPacketBytes)");
        if (chunk > span.Length - p)
            throw new OpenPgpFormatException($"packet at offset {start} (tag {tag}) is truncated: a chunk of {chunk} octets but only {span.Length - p} remain");
        joined.Write(span.Slice(p, (int)chunk));
        p += (int)chunk;
    }

    private RawPacket Body(int tag, int start, int bodyStart, long length, bool newFormat)
    {
        if (length > _maxPacketBytes)
            throw new OpenPgpFormatException($"packet at offset {start} (tag {tag}) claims {length} octets, more than {_maxPacketBytes} (MaxPacketBytes)");
        if (length > _data.Length - bodyStart)
            throw new OpenPgpFormatException($"packet at offset {start} (tag {tag}) is truncated: it claims {length} octets but only {_data.Length - bodyStart} remain");
        _pos = bodyStart + (int)length;
        return new RawPacket(tag, _data.Slice(bodyStart, (int)length), start, _pos - start, newFormat);
    }

    private static void Need(ReadOnlySpan<byte> span, int p, int count, int start)
    {
        if (span.Length - p < count)
            throw new OpenPgpFormatException($"packet header at offset {start} is truncated");
    }
}
