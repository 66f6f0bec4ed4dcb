namespace Mailseal.Core.OpenPgp;

/// <summary>One framed packet: its tag, its body, and where it sat in the input.</summary>
/// <param name="Tag">Packet type id (0-63); may be a value <see cref="PacketTag"/> does not name.</param>
/// <param name="Body">The packet body (partial-length chunks joined).</param>
/// <param name="Offset">Offset of the packet header in the input.</param>
/// <param name="EncodedLength">Header plus body length in the input.</param>
/// <param name="NewFormat">Whether the header used the new (RFC 9580 "OpenPGP") format.</param>
internal readonly record struct RawPacket(int Tag, ReadOnlyMemory<byte> Body, int Offset, int EncodedLength, bool NewFormat);
