namespace Mailseal.Core.OpenPgp;

/// <summary>The CRC-24 of OpenPGP ASCII armor (RFC 9580 section 6.1).</summary>
internal static class Crc24
{
    private const int Init = 0xB704CE;
    private const int Poly = 0x1864CFB;

    public static int Compute(ReadOnlySpan<byte> data)
    {
        int crc = Init;
        foreach (byte b in data)
        {
            crc ^= b << 16;
            for (int i = 0; i < 8; i++)
            {
                crc <<= 1;
                if ((crc & 0x1000000) != 0)
                    crc ^= Poly;
            }
        }

        return crc & 0xFFFFFF;
    }
}
