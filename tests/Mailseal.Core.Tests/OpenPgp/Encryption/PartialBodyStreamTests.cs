using Mailseal.Core.OpenPgp;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>Partial body lengths: powers of two while data flows, a definite length last.</summary>
public sealed class PartialBodyStreamTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(191)]
    [InlineData(192)]
    [InlineData(8383)]
    [InlineData(8384)]
    [InlineData(65536)]
    [InlineData(65537)]
    [InlineData(300_000)]
    public void Any_length_splits_back_to_the_same_body(int length)
    {
        var body = new byte[length];
        new Random(length).NextBytes(body);
        var output = new MemoryStream();
        using (var packet = new PartialBodyStream(output, PacketTag.LiteralData, leaveOpen: true))
        {
            for (int i = 0; i < length; i += 1000)
                packet.Write(body, i, Math.Min(1000, length - i));
        }

        var bytes = output.ToArray();
        Assert.Equal(0xCB, bytes[0]);
        var packets = TestPacketSplitter.Split(bytes);
        Assert.Single(packets);
        Assert.Equal(11, packets[0].Tag);
        Assert.Equal(body, packets[0].Body);
        // Whole parts are 2^16 octets announced as 0xF0; the last part has a definite length.
        int parts = length == 0 ? 0 : (length - 1) / 65536;
        Assert.Equal(parts > 0 ? 0xF0 : bytes[1], bytes[1]);
    }

    [Theory]
    [InlineData(0, new byte[] { 0 })]
    [InlineData(191, new byte[] { 191 })]
    [InlineData(192, new byte[] { 192, 0 })]
    [InlineData(8383, new byte[] { 223, 255 })]
    [InlineData(8384, new byte[] { 255, 0, 0, 0x20, 0xC0 })]
    public void Definite_lengths_use_the_shortest_form(int length, byte[] expected)
    {
        Span<byte> buffer = stackalloc byte[5];
        int n = PacketWriter.EncodeLength(buffer, length);
        Assert.Equal(expected, buffer[..n].ToArray());
    }
}
