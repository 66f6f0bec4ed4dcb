using System.Buffers.Binary;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// Reads the algorithm-specific fields of a public key packet (MPIs, curve OIDs, fixed octet
/// strings), checking every length against what is left before using it.
/// </summary>
internal ref struct KeyMaterialReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _keyName;
    private int _position;

    public KeyMaterialReader(PublicKeyPacket key)
    {
        _data = key.KeyMaterial.Span;
        _keyName = $"key 0x{key.KeyIdHex}";
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    /// <summary>An MPI's value octets (big-endian, as stored).</summary>
    public ReadOnlySpan<byte> ReadMpi(string field)
    {
        Need(2, field);
        int bits = BinaryPrimitives.ReadUInt16BigEndian(_data[_position..]);
        _position += 2;
        int length = (bits + 7) / 8;
        if (length == 0)
            throw Malformed($"{field} is zero");
        return ReadFixed(length, field);
    }

    /// <summary>A curve OID: one length octet (not 0, not 0xFF), then that many octets.</summary>
    public ReadOnlySpan<byte> ReadOid()
    {
        int length = ReadByte("curve OID length");
        if (length is 0 or 0xFF)
            throw Malformed($"curve OID length {length} is reserved");
        return ReadFixed(length, "curve OID");
    }

    public byte ReadByte(string field)
    {
        Need(1, field);
        return _data[_position++];
    }

    public ReadOnlySpan<byte> ReadFixed(int length, string field)
    {
        Need(length, field);
        var slice = _data.Slice(_position, length);
        _position += length;
        return slice;
    }

    public readonly OpenPgpFormatException Malformed(string what) =>
        new($"{_keyName} has malformed key material: {what}");

    private readonly void Need(int count, string field)
    {
        if (count > Remaining)
            throw Malformed($"{field} runs past the end of the key");
    }
}
