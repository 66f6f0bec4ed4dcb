namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>The CRC-24 of OpenPGP armor (RFC 9580 section 6.1), table-driven, eight octets per step.</summary>
internal struct Crc24
{
    private const uint Init = 0xB704CE;
    private const uint Poly = 0x864CFB;

    /// <summary>Tables[k][b]: the CRC contribution of octet b followed by k zero octets (slicing-by-8).</summary>
    private static readonly uint[][] Tables = BuildTables();

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

        // Work on the CRC in the high 24 bits of a 32-bit register so octets XOR in at the top.
        uint crc = _crc << 8;
        var t = Tables;
        while (data.Length >= 8)
        {
            uint a = crc ^ ((uint)data[0] << 24 | (uint)data[1] << 16 | (uint)data[2] << 8 | data[3]);
            crc = t[7][a >> 24] ^ t[6][(a >> 16) & 0xFF] ^ t[5][(a >> 8) & 0xFF] ^ t[4][a & 0xFF]
                ^ t[3][data[4]] ^ t[2][data[5]] ^ t[1][data[6]] ^ t[0][data[7]];
            data = data[8..];
        }

        foreach (byte b in data)
            crc = (crc << 8) ^ t[0][(crc >> 24) ^ b];
        _crc = crc >> 8;
    }

    private static uint[][] BuildTables()
    {
        var tables = new uint[8][];
        tables[0] = new uint[256];
        for (uint b = 0; b < 256; b++)
        {
            uint r = b << 24;
            for (int i = 0; i < 8; i++)
                r = (r & 0x80000000) != 0 ? (r << 1) ^ (Poly << 8) : r << 1;
            tables[0][b] = r;
        }

        for (int k = 1; k < 8; k++)
        {
            tables[k] = new uint[256];
            for (int b = 0; b < 256; b++)
            {
                uint prev = tables[k - 1][b];
                tables[k][b] = (prev << 8) ^ tables[0][prev >> 24];
            }
        }

        return tables;
    }
}
