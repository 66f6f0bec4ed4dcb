using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>The one key-material parser: its Try* reads (the encryptor's) and its throwing reads (the reader's).</summary>
public sealed class MpiReaderTests
{
    [Fact]
    public void TryReadMpi_reports_each_fault_and_consumes_nothing_on_failure()
    {
        var r = new MpiReader([0x00]);
        Assert.Equal(FieldStatus.LengthMissing, r.TryReadMpi(100, out int bits, out _));
        Assert.Equal(-1, bits);
        Assert.Equal(0, r.Position);

        r = new MpiReader([0x00, 0x10, 0xAB]);
        Assert.Equal(FieldStatus.Truncated, r.TryReadMpi(100, out bits, out _));
        Assert.Equal(16, bits);
        Assert.Equal(0, r.Position);
        Assert.Equal(FieldStatus.TooLarge, r.TryReadMpi(15, out bits, out _));
        Assert.Equal(16, bits);

        // As stored: a non-canonical leading zero octet is kept by TryReadMpi, stripped by ReadMpi.
        r = new MpiReader([0x00, 0x10, 0x00, 0x05]);
        Assert.Equal(FieldStatus.Ok, r.TryReadMpi(100, out bits, out var octets));
        Assert.Equal(new byte[] { 0x00, 0x05 }, octets.ToArray());
        Assert.Equal(4, r.Position);
        r = new MpiReader([0x00, 0x10, 0x00, 0x05]);
        Assert.Equal(new byte[] { 0x05 }, r.ReadMpi("x").ToArray());
    }

    [Fact]
    public void TryReadLengthPrefixed_returns_the_length_even_when_truncated()
    {
        var r = new MpiReader([0x03, 0x01]);
        Assert.Equal(FieldStatus.Truncated, r.TryReadLengthPrefixed(out int length, out _));
        Assert.Equal(3, length);
        Assert.Equal(0, r.Position);
        Assert.Equal(FieldStatus.ReservedLength, new MpiReader([0xFF, 1, 2]).TryReadLengthPrefixed(out length, out _));
        Assert.Equal(0xFF, length);
        Assert.Equal(FieldStatus.LengthMissing, new MpiReader([]).TryReadLengthPrefixed(out _, out _));
        Assert.Equal(FieldStatus.Ok, new MpiReader([0x02, 7, 8, 9]).TryReadLengthPrefixed(out length, out var octets));
        Assert.Equal(new byte[] { 7, 8 }, octets.ToArray());
    }

    [Fact]
    public void The_reader_side_messages_name_the_field()
    {
        Assert.Equal("oid: reserved length 0", Message(() => new MpiReader([0x00]).ReadLengthPrefixed("oid")));
        Assert.Equal("oid: truncated", Message(() => new MpiReader([0x02, 1]).ReadLengthPrefixed("oid")));
        Assert.Equal("oid: length octet is missing", Message(() => new MpiReader([]).ReadLengthPrefixed("oid")));
        Assert.Equal("n: MPI length is missing", Message(() => new MpiReader([1]).ReadMpi("n")));
        Assert.Equal("n: MPI of 16 bits is larger than allowed (8)", Message(() => new MpiReader([0, 16, 1, 1]).ReadMpi("n", 8)));
        Assert.Equal("k: needs 32 octets, 3 remain", Message(() => new MpiReader([1, 2, 3]).ReadFixed(32, "k")));
    }

    private static string Message(Action read) => Assert.Throws<OpenPgpFormatException>(read).Message;
}
