using Mailseal.Core.OpenPgp;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>RFC 9580 Appendix A.9 (sample AEAD-OCB encryption), reproduced byte for byte.</summary>
public sealed class Rfc9580SampleTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(string.Concat(s.Where(char.IsAsciiHexDigit)));

    [Fact]
    public void Seipd_v2_ocb_sample_is_reproduced_exactly()
    {
        var sessionKey = Hex("28 e7 9a b8 23 97 d3 c6 3d e2 4a c2 17 d7 b7 91");
        var salt = Hex("20 a6 61 f7 31 fc 9a 30 32 b5 62 33 26 02 7e 3a 5d 8d b5 74 8e be ff 0b 0c 59 10 d0 9e cd d6 41");
        // The sample's inner packets: a Literal Data packet ('b', no name, date 0, "Hello, world!")
        // and a Padding packet with 14 octets.
        var inner = Hex("cb 13 62 00 00 00 00 00").Concat("Hello, world!"u8.ToArray())
            .Concat(Hex("d5 0e ae 6a a1 64 9b 56 aa 83 5b 26 13 90 2b d2")).ToArray();
        var expected = Hex("""
            d2 69 02 07 02 06
            20 a6 61 f7 31 fc 9a 30 32 b5 62 33 26 02 7e 3a
            5d 8d b5 74 8e be ff 0b 0c 59 10 d0 9e cd d6 41
            ff 9f d3 85 62 75 80 35 bc 49 75 4c e1 bf 3f ff
            a7 da d0 a3 b8 10 4f 51 33 cf 42 a4 10 0a 83 ee
            f4 ca 1b 48 01
            a8 84 6b f4 2b cd a7 c8 ce 9d 65 e2 12 f3 01 cb
            cd 98 fd ca de 69 4a 87 7a d4 24 73 23 f6 e8 57
            """);

        var body = new MemoryStream();
        using (var seipd = new Seipd2EncryptingStream(body, SymmetricAlgorithm.Aes128, sessionKey, 6, salt))
            seipd.Write(inner);
        var bodyBytes = body.ToArray(); // the SEIPD stream owns and closes its inner stream
        var packet = new MemoryStream();
        PacketWriter.WriteHeader(packet, PacketTag.SymmetricallyEncryptedIntegrityProtectedData, bodyBytes.Length);
        packet.Write(bodyBytes);

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(packet.ToArray()));
    }

    [Fact]
    public void The_same_sample_written_in_small_pieces_across_many_chunks_gives_the_same_first_chunk()
    {
        // Chunk size octet 0 (64-octet chunks) with a 1000-octet plaintext written one octet at a
        // time must equal the same plaintext written at once: chunking depends on octets, not writes.
        var key = new byte[32];
        var salt = new byte[32];
        var plaintext = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var whole = new MemoryStream();
        using (var s = new Seipd2EncryptingStream(whole, SymmetricAlgorithm.Aes256, key, 0, salt))
            s.Write(plaintext);
        var pieces = new MemoryStream();
        using (var s = new Seipd2EncryptingStream(pieces, SymmetricAlgorithm.Aes256, key, 0, salt))
        {
            foreach (byte b in plaintext)
                s.WriteByte(b);
        }

        Assert.Equal(whole.ToArray(), pieces.ToArray());
        // 36 header octets, 16 chunks (15 full, one of 40) with a tag each, and the final tag.
        Assert.Equal(36 + 1000 + (16 * 16) + 16, whole.ToArray().Length);
    }
}
