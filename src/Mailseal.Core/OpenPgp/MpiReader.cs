using System.Buffers.Binary;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Reads the algorithm-specific fields of keys and signatures: MPIs (RFC 9580 section 3.2),
/// length-prefixed OIDs and fixed-size native octet strings, with every length checked before use.
/// </summary>
internal ref struct MpiReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public MpiReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public readonly int Remaining => _data.Length - _pos;

    public readonly int Position => _pos;

    /// <summary>Reads one MPI and returns its magnitude, big-endian, without leading zero octets.</summary>
    public ReadOnlySpan<byte> ReadMpi(string what, int maxBits = 16384 + 8)
    {
        if (Remaining < 2)
            throw new OpenPgpFormatException($"{what}: MPI length is missing");
        int bits = BinaryPrimitives.ReadUInt16BigEndian(_data.Slice(_pos, 2));
        if (bits > maxBits)
            throw new OpenPgpFormatException($"{what}: MPI of {bits} bits is larger than allowed ({maxBits})");
        int bytes = (bits + 7) / 8;
        if (Remaining - 2 < bytes)
            throw new OpenPgpFormatException($"{what}: MPI of {bits} bits is truncated");
        var value = _data.Slice(_pos + 2, bytes);
        _pos += 2 + bytes;
        int skip = 0;
        while (skip < value.Length && value[skip] == 0)
            skip++;
        return value[skip..];
    }

    /// <summary>Reads a one-octet length followed by that many octets (a curve OID, KDF parameters).</summary>
    public ReadOnlySpan<byte> ReadLengthPrefixed(string what)
    {
        if (Remaining < 1)
            throw new OpenPgpFormatException($"{what}: length octet is missing");
        int len = _data[_pos];
        if (len is 0 or 0xFF)
            throw new OpenPgpFormatException($"{what}: reserved length {len}");
        if (Remaining - 1 < len)
            throw new OpenPgpFormatException($"{what}: truncated");
        var value = _data.Slice(_pos + 1, len);
        _pos += 1 + len;
        return value;
    }

    /// <summary>Reads exactly <paramref name="count"/> octets (native key or signature material).</summary>
    public ReadOnlySpan<byte> ReadFixed(int count, string what)
    {
        if (Remaining < count)
            throw new OpenPgpFormatException($"{what}: needs {count} octets, {Remaining} remain");
        var value = _data.Slice(_pos, count);
        _pos += count;
        return value;
    }
}
