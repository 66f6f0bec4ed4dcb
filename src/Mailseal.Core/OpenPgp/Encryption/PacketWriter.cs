using System.Buffers.Binary;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>New-format packet headers and MPIs (RFC 9580 sections 3.2 and 4.2).</summary>
internal static class PacketWriter
{
    /// <summary>The first octet of a new-format packet header: bits 7 and 6 set, then the tag.</summary>
    public static byte TagOctet(PacketTag tag) => (byte)(0xC0 | (byte)tag);

    /// <summary>Writes a complete new-format header (tag and definite length) for a body of <paramref name="length"/> octets.</summary>
    public static void WriteHeader(Stream output, PacketTag tag, int length)
    {
        output.WriteByte(TagOctet(tag));
        WriteLength(output, length);
    }

    /// <summary>Writes a definite body length in the shortest of the 1-, 2- or 5-octet forms.</summary>
    public static void WriteLength(Stream output, int length)
    {
        Span<byte> buffer = stackalloc byte[5];
        output.Write(buffer[..EncodeLength(buffer, length)]);
    }

    /// <summary>Encodes a definite body length; returns the octets used.</summary>
    public static int EncodeLength(Span<byte> destination, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length < 192)
        {
            destination[0] = (byte)length;
            return 1;
        }

        if (length < 8384)
        {
            int v = length - 192;
            destination[0] = (byte)((v >> 8) + 192);
            destination[1] = (byte)v;
            return 2;
        }

        destination[0] = 0xFF;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
        return 5;
    }

    /// <summary>Writes an unsigned big-endian integer as an MPI: a two-octet bit count, then the value without leading zeros.</summary>
    public static void WriteMpi(Stream output, ReadOnlySpan<byte> value)
    {
        int start = 0;
        while (start < value.Length && value[start] == 0)
            start++;
        value = value[start..];
        int bits = value.Length == 0 ? 0 : ((value.Length - 1) * 8) + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)value[0]));
        Span<byte> prefix = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(prefix, checked((ushort)bits));
        output.Write(prefix);
        output.Write(value);
    }
}
