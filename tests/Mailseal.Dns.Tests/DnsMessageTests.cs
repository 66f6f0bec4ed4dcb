namespace Mailseal.Dns.Tests;

public sealed class DnsMessageTests
{
    [Fact]
    public void A_query_round_trips_through_the_decoder()
    {
        byte[] query = DnsMessage.BuildQuery(0x1234, "Mail.Example.TEST.", DnsRecordType.Mx, 4096);

        DnsMessage parsed = DnsMessage.Parse(query);

        Assert.Equal(0x1234, parsed.Id);
        Assert.False(parsed.IsResponse);
        Assert.Equal("Mail.Example.TEST", parsed.QuestionName);
        Assert.Equal((ushort)DnsRecordType.Mx, parsed.QuestionType);
    }

    [Fact]
    public void Compressed_names_are_expanded()
    {
        // Question "example.test", answer MX whose owner and exchange point back into it.
        byte[] message =
        [
            0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
            7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0, 0, 15, 0, 1,
            0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 9, 0, 10, 4, (byte)'m', (byte)'a', (byte)'i', (byte)'l', 0xc0, 12,
        ];

        DnsMessage parsed = DnsMessage.Parse(message);

        DnsRecord mx = Assert.Single(parsed.Answers);
        Assert.Equal("example.test", mx.Name);
        Assert.Equal("mail.example.test", mx.Exchange);
        Assert.Equal((ushort)10, mx.Preference);
    }

    [Fact]
    public void Openpgpkey_data_is_kept_byte_for_byte()
    {
        // Question "a.test" OPENPGPKEY, one answer whose data is four arbitrary bytes (RFC 7929 keeps the key raw).
        byte[] message =
        [
            0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
            1, (byte)'a', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0, 0, 61, 0, 1,
            0xc0, 12, 0, 61, 0, 1, 0, 0, 0, 60, 0, 4, 0x99, 0, 0xff, 7,
        ];

        DnsRecord key = Assert.Single(DnsMessage.Parse(message).Answers);

        Assert.Equal(DnsRecordType.OpenPgpKey, key.Type);
        Assert.Equal(new byte[] { 0x99, 0, 0xff, 7 }, key.Data.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0xc0, 12 })] // points at itself
    [InlineData(new byte[] { 0xc0, 14 })] // points forward
    [InlineData(new byte[] { 1, (byte)'a', 0xc0, 12 })] // a label, then back to its own start
    [InlineData(new byte[] { 5, (byte)'a' })] // label runs past the end
    [InlineData(new byte[] { 0x40, 1 })] // reserved label type
    public void Malformed_names_are_rejected(byte[] name)
    {
        byte[] message = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, .. name, 0, 1, 0, 1];

        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(message));
    }

    [Fact]
    public void A_record_whose_data_overruns_the_message_is_rejected()
    {
        byte[] message = [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, (byte)'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 200, 1, 2, 3, 4];

        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(message));
    }

    [Fact]
    public void Names_with_overlong_labels_cannot_be_queried()
    {
        Assert.Throws<DnsFormatException>(() => DnsMessage.BuildQuery(1, new string('x', 64) + ".test", DnsRecordType.A, 0));
        Assert.Throws<DnsFormatException>(() => DnsMessage.BuildQuery(1, "a..test", DnsRecordType.A, 0));
    }
}
