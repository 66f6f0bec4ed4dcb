namespace Mailseal.Core.Mime;

/// <summary>What <see cref="MimeHeaderReader.ReadAsync"/> read from a stream.</summary>
/// <param name="Block">The parsed header block.</param>
/// <param name="HeaderBytes">
/// The bytes of the block as read, separator included. When the block is
/// <see cref="HeaderBlockStatus.LimitExceeded"/> these are all bytes read so far, unparsed.
/// </param>
/// <param name="BodyPrefix">Bytes read past the block: the start of the body. The stream continues after them.</param>
public sealed record HeaderReadResult(HeaderBlock Block, ReadOnlyMemory<byte> HeaderBytes, ReadOnlyMemory<byte> BodyPrefix);
