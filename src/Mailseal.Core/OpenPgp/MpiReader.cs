using System.Buffers.Binary;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// The one parser of the algorithm-specific fields of keys and signatures: MPIs (RFC 9580
/// section 3.2), length-prefixed fields (curve OIDs, ECDH KDF parameters) and fixed-size native
/// octet strings, with every length checked before use. The certificate reader uses the
/// throwing Read* methods and their messages; the encryptor's <see cref="Encryption.KeyMaterialReader"/>
/// uses the Try* methods and words its own messages.
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

    /// <summary>
    /// Reads one MPI as stored (its octets may start with zeros in a non-canonical encoding).
    /// On failure nothing is consumed; <paramref name="bits"/> is the claimed size when its length is present (else -1).
    /// </summary>
    public FieldStatus TryReadMpi(int maxBits, out int bits, out ReadOnlySpan<byte> octets)
    {
        octets = default;
        bits = -1;
        if (Remaining < 2)
            return FieldStatus.LengthMissing;
        bits = BinaryPrimitives.ReadUInt16BigEndian(_data.Slice(_pos, 2));
        if (bits > maxBits)
            return FieldStatus.TooLarge;
        int bytes = (bits + 7) / 8;
        if (Remaining - 2 < bytes)
            return FieldStatus.Truncated;
        octets = _data.Slice(_pos + 2, bytes);
        _pos += 2 + bytes;
        return FieldStatus.Ok;
    }

    /// <summary>
    /// Reads a one-octet length followed by that many octets. The length is returned (when present)
    /// even if the field is truncated, so callers can judge it first; on failure nothing is consumed.
    /// Lengths 0 and 0xFF are reserved (RFC 9580 section 9.2).
    /// </summary>
    public FieldStatus TryReadLengthPrefixed(out int length, out ReadOnlySpan<byte> octets)
    {
        octets = default;
        length = -1;
        if (Remaining < 1)
            return FieldStatus.LengthMissing;
        length = _data[_pos];
        if (length is 0 or 0xFF)
            return FieldStatus.ReservedLength;
        if (Remaining - 1 < length)
            return FieldStatus.Truncated;
        octets = _data.Slice(_pos + 1, length);
        _pos += 1 + length;
        return FieldStatus.Ok;
    }

    /// <summary>Reads exactly <paramref name="count"/> octets, or consumes nothing and returns false.</summary>
    public bool TryReadFixed(int count, out ReadOnlySpan<byte> octets)
    {
        if (Remaining < count)
        {
            octets = default;
            return false;
        }

        octets = _data.Slice(_pos, count);
        _pos += count;
        return true;
    }

    /// <summary>Reads one MPI and returns its magnitude, big-endian, without leading zero octets.</summary>
    public ReadOnlySpan<byte> ReadMpi(string what, int maxBits = 16384 + 8)
    {
        var status = TryReadMpi(maxBits, out int bits, out var value);
        switch (status)
        {
            case FieldStatus.LengthMissing:
                throw new OpenPgpFormatException($"{what}: MPI length is missing");
            case FieldStatus.TooLarge:
                throw new OpenPgpFormatException($"{what}: MPI of {bits} bits is larger than allowed ({maxBits})");
            case FieldStatus.Truncated:
                throw new OpenPgpFormatException($"{what}: MPI of {bits} bits is truncated");
        }

        int skip = 0;
        while (skip < value.Length && value[skip] == 0)
            skip++;
        return value[skip..];
    }

    /// <summary>Reads a one-octet length followed by that many octets (a curve OID, KDF parameters).</summary>
    public ReadOnlySpan<byte> ReadLengthPrefixed(string what)
    {
        var status = TryReadLengthPrefixed(out int len, out var value);
        return status switch
        {
            FieldStatus.LengthMissing => throw new OpenPgpFormatException($"{what}: length octet is missing"),
            FieldStatus.ReservedLength => throw new OpenPgpFormatException($"{what}: reserved length {len}"),
            FieldStatus.Truncated => throw new OpenPgpFormatException($"{what}: truncated"),
            _ => value,
        };
    }

    /// <summary>Reads exactly <paramref name="count"/> octets (native key or signature material).</summary>
    public ReadOnlySpan<byte> ReadFixed(int count, string what)
    {
        if (!TryReadFixed(count, out var value))
            throw new OpenPgpFormatException($"{what}: needs {count} octets, {Remaining} remain");
        return value;
    }
}
