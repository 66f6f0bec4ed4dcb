using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>The CRC-24 of OpenPGP armor (RFC 9580 section 6.1), table-driven, eight octets per step.</summary>
internal struct Crc24
{
    private const uint Init = 0xB704CE;
    private const uint Poly = 0x864CFB;

    /// <summary>Table[k*256 + b]: the CRC contribution of octet b followed by k zero octets (slicing-by-8),
    /// with the 24-bit CRC kept in the high bits of a 32-bit register.</summary>
    private static readonly uint[] Table = BuildTable();

    private uint _crc;
    private bool _started;

    /// <summary>The CRC so far (24 bits).</summary>
    public readonly uint Value => _started ? _crc & 0xFFFFFF : Init;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (!_started)
        {
            _crc = Init;
            _started = true;
        }

        uint crc = _crc << 8;
        ref uint t = ref MemoryMarshal.GetArrayDataReference(Table);
        while (data.Length >= 8)
        {
            ulong v = BinaryPrimitives.ReadUInt64BigEndian(data);
            uint a = crc ^ (uint)(v >> 32);
            uint b = (uint)v;
            crc = Unsafe.Add(ref t, (7 * 256) + (int)(a >> 24))
                ^ Unsafe.Add(ref t, (6 * 256) + (int)((a >> 16) & 0xFF))
                ^ Unsafe.Add(ref t, (5 * 256) + (int)((a >> 8) & 0xFF))
                ^ Unsafe.Add(ref t, (4 * 256) + (int)(a & 0xFF))
                ^ Unsafe.Add(ref t, (3 * 256) + (int)(b >> 24))
                ^ Unsafe.Add(ref t, (2 * 256) + (int)((b >> 16) & 0xFF))
                ^ Unsafe.Add(ref t, 256 + (int)((b >> 8) & 0xFF))
                ^ Unsafe.Add(ref t, (int)(b & 0xFF));
            data = data[8..];
        }

        foreach (byte x in data)
            crc = (crc << 8) ^ Table[(int)((crc >> 24) ^ x)];
        _crc = crc >> 8;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint b = 0; b < 256; b++)
        {
            uint r = b << 24;
            for (int i = 0; i < 8; i++)
                r = (r & 0x80000000) != 0 ? (r << 1) ^ (Poly << 8) : r << 1;
            table[b] = r;
        }

        for (int k = 1; k < 8; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                uint prev = table[((k - 1) * 256) + b];
                table[(k * 256) + b] = (prev << 8) ^ table[(int)(prev >> 24)];
            }
        }

        return table;
    }
}
