using System.Buffers.Binary;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>
/// Test-only: splits binary OpenPGP data into (tag, body) pairs, old and new format, partial
/// lengths joined. Used to pull key packets out of `gpg --export` and to inspect our own output.
/// </summary>
public static class TestPacketSplitter
{
    /// <summary>One packet.</summary>
    public sealed record Packet(int Tag, byte[] Body);

    /// <summary>All packets in <paramref name="data"/>.</summary>
    public static List<Packet> Split(ReadOnlySpan<byte> data)
    {
        var packets = new List<Packet>();
        int i = 0;
        while (i < data.Length)
        {
            byte first = data[i++];
            if ((first & 0x80) == 0)
                throw new InvalidDataException($"octet {i - 1} is not a packet header");
            if ((first & 0x40) != 0)
            {
                int tag = first & 0x3F;
                var body = new MemoryStream();
                while (true)
                {
                    int o = data[i++];
                    if (o < 192)
                    {
                        body.Write(data.Slice(i, o));
                        i += o;
                        break;
                    }

                    if (o < 224)
                    {
                        int len = ((o - 192) << 8) + data[i++] + 192;
                        body.Write(data.Slice(i, len));
                        i += len;
                        break;
                    }

                    if (o == 255)
                    {
                        int len = checked((int)BinaryPrimitives.ReadUInt32BigEndian(data.Slice(i, 4)));
                        i += 4;
                        body.Write(data.Slice(i, len));
                        i += len;
                        break;
                    }

                    int part = 1 << (o & 0x1F);
                    body.Write(data.Slice(i, part));
                    i += part;
                }

                packets.Add(new Packet(tag, body.ToArray()));
            }
            else
            {
                int tag = (first >> 2) & 0x0F;
                int lengthType = first & 3;
                int len;
                switch (lengthType)
                {
                    case 0: len = data[i]; i += 1; break;
                    case 1: len = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i, 2)); i += 2; break;
                    case 2: len = checked((int)BinaryPrimitives.ReadUInt32BigEndian(data.Slice(i, 4))); i += 4; break;
                    default: len = data.Length - i; break;
                }

                packets.Add(new Packet(tag, data.Slice(i, len).ToArray()));
                i += len;
            }
        }

        return packets;
    }

    /// <summary>Decodes the base64 body of ASCII armor (test use: ignores headers and the checksum line).</summary>
    public static byte[] Dearmor(string armored)
    {
        var lines = armored.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith("-----BEGIN ", StringComparison.Ordinal));
        int blank = Array.FindIndex(lines, start + 1, l => l.Trim().Length == 0);
        var b64 = new System.Text.StringBuilder();
        for (int k = blank + 1; k < lines.Length; k++)
        {
            var l = lines[k].Trim();
            if (l.StartsWith('=') || l.StartsWith("-----END ", StringComparison.Ordinal))
                break;
            b64.Append(l);
        }

        return Convert.FromBase64String(b64.ToString());
    }
}
