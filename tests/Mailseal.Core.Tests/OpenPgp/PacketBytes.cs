using System.Buffers.Binary;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>Writes packet headers by hand, for framing tests and crafted certificates.</summary>
internal static class PacketBytes
{
    /// <summary>An OpenPGP-format (new) packet with the shortest length encoding.</summary>
    public static byte[] New(int tag, ReadOnlySpan<byte> body)
    {
        var header = new List<byte> { (byte)(0xC0 | tag) };
        if (body.Length < 192)
        {
            header.Add((byte)body.Length);
        }
        else if (body.Length < 8384)
        {
            int l = body.Length - 192;
            header.Add((byte)((l >> 8) + 192));
            header.Add((byte)(l & 0xFF));
        }
        else
        {
            header.Add(0xFF);
            var four = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(four, (uint)body.Length);
            header.AddRange(four);
        }

        return [.. header, .. body];
    }

    /// <summary>A legacy-format packet with a 1-, 2- or 4-octet length (lengthType 0, 1, 2) or indeterminate (3).</summary>
    public static byte[] Old(int tag, ReadOnlySpan<byte> body, int lengthType)
    {
        var header = new List<byte> { (byte)(0x80 | (tag << 2) | lengthType) };
        switch (lengthType)
        {
            case 0:
                header.Add((byte)body.Length);
                break;
            case 1:
                header.Add((byte)(body.Length >> 8));
                header.Add((byte)body.Length);
                break;
            case 2:
                var four = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(four, (uint)body.Length);
                header.AddRange(four);
                break;
        }

        return [.. header, .. body];
    }
}
