using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>The one CRC-24 of armor, as the reader (whole block) and the writer (in pieces) use it.</summary>
public sealed class Crc24Tests
{
    [Fact]
    public void Crc24_known_values()
    {
        Assert.Equal(0xB704CE, Crc24.Compute([]));
        // CRC-24/OPENPGP check value for "123456789".
        Assert.Equal(0x21CF02, Crc24.Compute("123456789"u8));
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
}
