using System.Text;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

public sealed class ArmorReaderTests
{
    private static string Sample => File.ReadAllText(TestPaths.OpenPgpData("rfc9580-a3-v6-certificate.asc"));

    private static byte[] SampleBinary()
    {
        string body = string.Concat(Sample.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
        return Convert.FromBase64String(body);
    }

    private static string WithChecksum(string armored, byte[] data)
    {
        int crc = Crc24.Compute(data);
        string line = "=" + Convert.ToBase64String([(byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]);
        return armored.Replace("-----END", line + "\n-----END", StringComparison.Ordinal);
    }

    [Fact]
    public void Dearmors_without_and_with_checksum()
    {
        byte[] expected = SampleBinary();
        Assert.Equal(expected, ArmorReader.Dearmor(Encoding.ASCII.GetBytes(Sample)));
        string withCrc = WithChecksum(Sample, expected);
        var block = Assert.Single(ArmorReader.ReadAll(Encoding.ASCII.GetBytes(withCrc)));
        Assert.True(block.HadChecksum);
        Assert.Equal("PGP PUBLIC KEY BLOCK", block.Label);
        Assert.Equal(expected, block.Data);
    }

    [Fact]
    public void Headers_crlf_and_surrounding_text_are_handled()
    {
        string text = "Hi, here is my key:\r\n\r\n" + Sample.Replace("BLOCK-----\n\n", "BLOCK-----\nComment: Alice's key\nVersion: Test 1\n\n", StringComparison.Ordinal)
            .Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\nBye.\r\n";
        var block = Assert.Single(ArmorReader.ReadAll(Encoding.ASCII.GetBytes(text)));
        Assert.Equal([new("Comment", "Alice's key"), new("Version", "Test 1")], block.Headers);
        Assert.Equal(SampleBinary(), block.Data);
        Assert.True(ArmorReader.LooksArmored(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Binary_is_detected()
    {
        byte[] binary = SampleBinary();
        Assert.False(ArmorReader.LooksArmored(binary));
        Assert.False(ArmorReader.LooksArmored("just text"u8));
        var ex = Assert.Throws<OpenPgpFormatException>(() => ArmorReader.Dearmor(binary));
        Assert.Equal("input is binary OpenPGP, not ASCII armor", ex.Message);
        // The certificate reader takes binary as it is.
        Assert.Equal("CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9", Assert.Single(CertificateReader.Read(binary).Certificates).FingerprintHex);
    }

    [Fact]
    public void Truncated_armor_is_a_clear_error()
    {
        string truncated = Sample[..(Sample.Length / 2)];
        var ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(Encoding.ASCII.GetBytes(truncated)));
        Assert.Equal("armored block \"PGP PUBLIC KEY BLOCK\" is truncated: the input ends before its END line", ex.Message);
    }

    [Fact]
    public void Bad_checksum_is_a_clear_error()
    {
        string withCrc = WithChecksum(Sample, SampleBinary());
        // Change one base64 character of the body (still valid base64): the data no longer matches the CRC.
        int at = withCrc.IndexOf("xioG", StringComparison.Ordinal) + 10;
        string corrupted = withCrc[..at] + (withCrc[at] == 'A' ? 'B' : 'A') + withCrc[(at + 1)..];
        var ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(Encoding.ASCII.GetBytes(corrupted)));
        Assert.StartsWith("armor checksum mismatch in block \"PGP PUBLIC KEY BLOCK\": the data is corrupted (CRC-24 is ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpg_armor_with_its_checksum_reads_and_corruption_is_caught()
    {
        using var gpg = new GpgHome();
        string fpr = gpg.Generate("Armor <armor@example.org>", "ed25519");
        gpg.AddKey(fpr, "cv25519");
        string armored = Encoding.ASCII.GetString(gpg.Export(fpr, armor: true));
        var block = Assert.Single(ArmorReader.ReadAll(Encoding.ASCII.GetBytes(armored)));
        Assert.True(block.HadChecksum);
        Assert.Equal(gpg.Export(fpr), block.Data);

        string[] lines = armored.Split('\n');
        int crcLine = Array.FindIndex(lines, l => l.StartsWith('=') && l.Length == 5);
        lines[crcLine] = lines[crcLine] == "=AAAA" ? "=AAAB" : "=AAAA";
        var ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(Encoding.ASCII.GetBytes(string.Join('\n', lines))));
        Assert.StartsWith("armor checksum mismatch in block \"PGP PUBLIC KEY BLOCK\"", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(Encoding.ASCII.GetBytes(string.Join('\n', lines[..(crcLine - 2)]))));
        Assert.Equal("armored block \"PGP PUBLIC KEY BLOCK\" is truncated: the input ends before its END line", ex.Message);
    }

    [Fact]
    public void Invalid_base64_and_mismatched_end_are_clear_errors()
    {
        string bad = Sample.Replace("xioG", "xi*G", StringComparison.Ordinal);
        var ex = Assert.Throws<OpenPgpFormatException>(() => ArmorReader.Dearmor(Encoding.ASCII.GetBytes(bad)));
        Assert.Equal("armored block \"PGP PUBLIC KEY BLOCK\" has a character that is not base64 on line 3", ex.Message);

        string wrongEnd = Sample.Replace("END PGP PUBLIC KEY BLOCK", "END PGP MESSAGE", StringComparison.Ordinal);
        ex = Assert.Throws<OpenPgpFormatException>(() => ArmorReader.Dearmor(Encoding.ASCII.GetBytes(wrongEnd)));
        Assert.StartsWith("armored block \"PGP PUBLIC KEY BLOCK\" ends with \"END PGP MESSAGE\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_and_empty_input_are_clear_errors()
    {
        var ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read("this is not a key\n"u8));
        Assert.Equal("the key data is neither ASCII-armored (no \"-----BEGIN PGP PUBLIC KEY BLOCK-----\" line) nor binary OpenPGP", ex.Message);
        ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(ReadOnlySpan<byte>.Empty));
        Assert.Equal("the key data is empty", ex.Message);
        ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }));
        Assert.Contains("(MaxPacketBytes)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(new byte[] { 0x89, 0x01, 0x00 }));
        Assert.StartsWith("packet at offset 0 (tag 2) is truncated", ex.Message, StringComparison.Ordinal);
        // A signature is OpenPGP but not a key.
        ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(PacketBytes.New(2, [4, 0x13])));
        Assert.Equal("the data is not a public key: its first packet is a Signature packet", ex.Message);
    }

    [Fact]
    public void Try_read_returns_the_reason_instead_of_throwing()
    {
        Assert.False(CertificateReader.TryRead("garbage"u8, out var none, out string? error));
        Assert.Null(none);
        Assert.StartsWith("the key data is neither ASCII-armored", error, StringComparison.Ordinal);
        Assert.True(CertificateReader.TryRead(File.ReadAllBytes(TestPaths.OpenPgpData("rfc9580-a3-v6-certificate.asc")), out var result, out error));
        Assert.Null(error);
        Assert.Single(result.Certificates);
    }

    [Fact]
    public void Input_limit_is_enforced()
    {
        var options = new OpenPgpReadOptions { MaxInputBytes = 100 };
        var ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(Encoding.ASCII.GetBytes(Sample), options));
        Assert.Contains("(MaxInputBytes)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<OpenPgpFormatException>(() => CertificateReader.Read(new MemoryStream(new byte[200_000]), options));
        Assert.Equal("the key data is more than 100 octets (MaxInputBytes)", ex.Message);
    }
}
