using System.Text;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>The armor writer's lines, checksum and trailer.</summary>
public sealed class ArmorWriterStreamTests
{
    private static string Armor(byte[] data, bool checksum = true, int pieceSize = int.MaxValue)
    {
        var output = new MemoryStream();
        using (var armor = new ArmorWriterStream(output, "PGP MESSAGE", checksum, leaveOpen: true))
        {
            for (int i = 0; i < data.Length; i += pieceSize)
                armor.Write(data, i, Math.Min(pieceSize, data.Length - i));
        }

        return Encoding.ASCII.GetString(output.ToArray());
    }

    [Fact]
    public void Crc24_of_the_check_string_is_the_known_value()
    {
        // CRC-24/OPENPGP check value for "123456789": 0x21CF02.
        var crc = new Crc24();
        crc.Append("123456789"u8);
        Assert.Equal(0x21CF02u, crc.Value);
        var empty = new Crc24();
        Assert.Equal(0xB704CEu, empty.Value);
    }

    [Fact]
    public void Crc24_is_the_same_whether_fed_at_once_or_in_odd_pieces()
    {
        var data = new byte[10_007];
        new Random(1).NextBytes(data);
        var whole = new Crc24();
        whole.Append(data);
        var pieces = new Crc24();
        for (int i = 0; i < data.Length; i += 13)
            pieces.Append(data.AsSpan(i, Math.Min(13, data.Length - i)));
        Assert.Equal(whole.Value, pieces.Value);
    }

    [Fact]
    public void Lines_are_64_columns_and_the_body_decodes_back()
    {
        var data = new byte[100_000];
        new Random(2).NextBytes(data);
        var text = Armor(data, pieceSize: 777);
        var lines = text.Split('\n');
        Assert.Equal("-----BEGIN PGP MESSAGE-----", lines[0]);
        Assert.Equal("", lines[1]);
        var body = lines.Skip(2).TakeWhile(l => !l.StartsWith('=')).ToList();
        Assert.All(body.SkipLast(1), l => Assert.Equal(64, l.Length));
        Assert.Equal(data, Convert.FromBase64String(string.Concat(body)));
        var crc = new Crc24();
        crc.Append(data);
        var expectedCrc = Convert.ToBase64String([(byte)(crc.Value >> 16), (byte)(crc.Value >> 8), (byte)crc.Value]);
        Assert.Equal("=" + expectedCrc, lines[2 + body.Count]);
        Assert.Equal("-----END PGP MESSAGE-----", lines[3 + body.Count]);
        Assert.Equal("", lines[^1]);
    }

    [Fact]
    public void Without_checksum_there_is_no_equals_line_and_empty_input_still_gives_a_block()
    {
        Assert.Equal("-----BEGIN PGP MESSAGE-----\n\n-----END PGP MESSAGE-----\n", Armor([], checksum: false));
        Assert.Equal("-----BEGIN PGP MESSAGE-----\n\nAQID\n-----END PGP MESSAGE-----\n", Armor([1, 2, 3], checksum: false));
    }

    [Fact]
    public void The_output_is_closed_only_when_not_left_open()
    {
        var kept = new MemoryStream();
        new ArmorWriterStream(kept, leaveOpen: true).Dispose();
        Assert.True(kept.CanWrite);
        var closed = new MemoryStream();
        new ArmorWriterStream(closed).Dispose();
        Assert.False(closed.CanWrite);
    }
}
