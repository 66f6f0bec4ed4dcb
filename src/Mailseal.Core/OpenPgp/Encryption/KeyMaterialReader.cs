namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>
/// The encryptor's view of a public key packet's algorithm-specific fields: the shared
/// <see cref="MpiReader"/> does the parsing; this names the key in every error and keeps the
/// encryptor's stricter rules (an MPI of zero bits, MPIs exactly as stored).
/// </summary>
internal ref struct KeyMaterialReader
{
    private readonly string _keyName;
    private MpiReader _reader;

    public KeyMaterialReader(PublicKeyPacket key)
    {
        _reader = new MpiReader(key.KeyMaterial.Span);
        _keyName = $"key 0x{key.KeyIdHex}";
    }

    public readonly int Remaining => _reader.Remaining;

    /// <summary>An MPI's value octets (big-endian, as stored).</summary>
    public ReadOnlySpan<byte> ReadMpi(string field)
    {
        var status = _reader.TryReadMpi(ushort.MaxValue, out int bits, out var value);
        if (bits == 0)
            throw Malformed($"{field} is zero");
        return status == FieldStatus.Ok ? value : throw PastTheEnd(field);
    }

    /// <summary>A curve OID: one length octet (not 0, not 0xFF), then that many octets.</summary>
    public ReadOnlySpan<byte> ReadOid()
    {
        var status = _reader.TryReadLengthPrefixed(out int length, out var oid);
        return status switch
        {
            FieldStatus.Ok => oid,
            FieldStatus.LengthMissing => throw PastTheEnd("curve OID length"),
            FieldStatus.ReservedLength => throw Malformed($"curve OID length {length} is reserved"),
            _ => throw PastTheEnd("curve OID"),
        };
    }

    public byte ReadByte(string field) => ReadFixed(1, field)[0];

    public ReadOnlySpan<byte> ReadFixed(int length, string field) =>
        _reader.TryReadFixed(length, out var value) ? value : throw PastTheEnd(field);

    public readonly OpenPgpFormatException Malformed(string what) =>
        new($"{_keyName} has malformed key material: {what}");

    private readonly OpenPgpFormatException PastTheEnd(string field) => Malformed($"{field} runs past the end of the key");
}
