using System.Text;

namespace Mailseal.Admin.Keys;

/// <summary>ASCII armor (RFC 9580 section 6) of a public key block: the form users.pgpkey and the key folder hold.</summary>
internal static class ArmorWriter
{
    public static string PublicKeyBlock(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n");
        string base64 = Convert.ToBase64String(data);
        for (int i = 0; i < base64.Length; i += 64)
            sb.Append(base64.AsSpan(i, Math.Min(64, base64.Length - i))).Append('\n');
        uint crc = Crc24(data);
        Span<byte> crcBytes = [(byte)(crc >> 16), (byte)(crc >> 8), (byte)crc];
        sb.Append('=').Append(Convert.ToBase64String(crcBytes)).Append('\n');
        sb.Append("-----END PGP PUBLIC KEY BLOCK-----\n");
        return sb.ToString();
    }

    // RFC 9580 section 6.1.1.
    private static uint Crc24(ReadOnlySpan<byte> data)
    {
        uint crc = 0xB704CE;
        foreach (byte b in data)
        {
            crc ^= (uint)b << 16;
            for (int i = 0; i < 8; i++)
            {
                crc <<= 1;
                if ((crc & 0x1000000) != 0)
                    crc ^= 0x1864CFB;
            }
        }

        return crc & 0xFFFFFF;
    }
}
