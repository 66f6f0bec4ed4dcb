using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

public sealed class PacketReaderTests
{
    private static List<RawPacket> ReadAll(byte[] data, OpenPgpReadOptions? options = null)
    {
        var reader = new PacketReader(data, options ?? OpenPgpReadOptions.Default);
        var packets = new List<RawPacket>();
        while (reader.TryRead(out var p))
            packets.Add(p);
        return packets;
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 300)]
    [InlineData(2, 70000)]
    [InlineData(3, 50)]
    public void Legacy_headers_all_length_forms(int lengthType, int size)
    {
        byte[] body = Enumerable.Range(0, size).Select(i => (byte)i).ToArray();
        byte[] data = PacketBytes.Old(13, body, lengthType);
        var p = Assert.Single(ReadAll(data));
        Assert.Equal(13, p.Tag);
        Assert.False(p.NewFormat);
        Assert.Equal(body, p.Body.ToArray());
        Assert.Equal(data.Length, p.EncodedLength);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(191)]
    [InlineData(192)]
    [InlineData(8383)]
    [InlineData(8384)]
    [InlineData(100000)]
    public void New_headers_all_length_forms(int size)
    {
        byte[] body = Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();
        byte[] data = [.. PacketBytes.New(2, body), .. PacketBytes.New(13, "x"u8)];
        var packets = ReadAll(data);
        Assert.Equal(2, packets.Count);
        Assert.Equal(body, packets[0].Body.ToArray());
        Assert.True(packets[0].NewFormat);
        Assert.Equal("x"u8.ToArray(), packets[1].Body.ToArray());
    }

    [Fact]
    public void Partial_lengths_are_joined_on_literal_data()
    {
        byte[] body = Enumerable.Range(0, 512 + 1024 + 5).Select(i => (byte)i).ToArray();
        // 2^9 = 512 (0xE9), 2^10 = 1024 (0xEA), then a final length of 5.
        byte[] data = [0xCB, 0xE9, .. body.AsSpan(0, 512), 0xEA, .. body.AsSpan(512, 1024), 5, .. body.AsSpan(1536)];
        var p = Assert.Single(ReadAll(data));
        Assert.Equal((int)PacketTag.LiteralData, p.Tag);
        Assert.Equal(body, p.Body.ToArray());
    }

    [Fact]
    public void Partial_lengths_are_refused_on_key_packets()
    {
        byte[] data = [0xC6, 0xE9, .. new byte[512], 0];
        var ex = Assert.Throws<OpenPgpFormatException>(() => ReadAll(data));
        Assert.Equal("packet at offset 0 (tag 6) uses a partial body length, which RFC 9580 allows only on data packets", ex.Message);
    }

    [Fact]
    public void First_partial_chunk_must_be_at_least512()
    {
        byte[] data = [0xCB, 0xE1, 1, 2, 0];
        var ex = Assert.Throws<OpenPgpFormatException>(() => ReadAll(data));
        Assert.Contains("at least 512", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_body_is_a_clear_error()
    {
        byte[] data = [0xC6, 50, 4, 0, 0];
        var ex = Assert.Throws<OpenPgpFormatException>(() => ReadAll(data));
        Assert.Equal("packet at offset 0 (tag 6) is truncated: it claims 50 octets but only 3 remain", ex.Message);
    }

    [Fact]
    public void Truncated_header_is_a_clear_error()
    {
        var ex = Assert.Throws<OpenPgpFormatException>(() => ReadAll([0xC6, 0xFF, 0, 0]));
        Assert.Equal("packet header at offset 0 is truncated", ex.Message);
    }

    [Fact]
    public void Not_a_packet_header()
    {
        var ex = Assert.Throws<OpenPgpFormatException>(() => ReadAll([0x41, 0x42]));
        Assert.StartsWith("octet 0x41 at offset 0 is not an OpenPGP packet header", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reserved_tag_zero()
    {
        var ex = Assert.Throws<OpenPgpFormatException>(() => ReadAll([0xC0, 0]));
        Assert.Equal("packet at offset 0 has the reserved tag 0", ex.Message);
    }

    [Fact]
    public void Packet_larger_than_the_limit_is_refused_before_reading()
    {
        // A five-octet length claiming 4 GiB must not be believed.
        var ex = Assert.Throws<OpenPgpFormatException>(() => ReadAll([0xC2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]));
        Assert.Equal("packet at offset 0 (tag 2) claims 4294967295 octets, more than 1048576 (MaxPacketBytes)", ex.Message);
        var small = new OpenPgpReadOptions { MaxPacketBytes = 100 };
        ex = Assert.Throws<OpenPgpFormatException>(() => ReadAll(PacketBytes.New(13, new byte[101]), small));
        Assert.Contains("(MaxPacketBytes)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mpi_reader_checks_lengths()
    {
        var r = new MpiReader([0x00, 0x09, 0x01, 0xFF, 0x00, 0x10, 0xAB]);
        Assert.Equal(new byte[] { 0x01, 0xFF }, r.ReadMpi("first").ToArray());
        try
        {
            r.ReadMpi("second");
            Assert.Fail("a truncated MPI must throw");
        }
        catch (OpenPgpFormatException ex)
        {
            Assert.Equal("second: MPI of 16 bits is truncated", ex.Message);
        }
    }
}
