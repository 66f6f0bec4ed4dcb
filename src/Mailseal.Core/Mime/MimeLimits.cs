namespace Mailseal.Core.Mime;

/// <summary>
/// Every bound the MIME layer puts on hostile input, in one place with safe defaults. A message
/// beyond a structure limit (depth, parts, look-ahead) is not an error: the message pipeline
/// encrypts it whole, unparsed, because PGP/MIME never needs the body's structure. Only the
/// header limits change what the pipeline can keep outside the encryption (see
/// <see cref="HeaderBlockStatus.LimitExceeded"/>).
/// </summary>
public sealed record MimeLimits
{
    /// <summary>The defaults: generous for real mail, small enough to keep memory flat.</summary>
    public static MimeLimits Default { get; } = new();

    /// <summary>
    /// Longest header line in bytes, terminator excluded. RFC 5322 allows 998; real mail
    /// exceeds it (long References). Stops a header "line" without a newline from being
    /// buffered until memory runs out.
    /// </summary>
    public int MaxLineLength { get; init; } = 64 * 1024;

    /// <summary>
    /// Most header fields in one header block. Stops millions of one-byte headers, each an
    /// object, from turning a small message into a large heap.
    /// </summary>
    public int MaxHeaderCount { get; init; } = 2000;

    /// <summary>
    /// Most bytes of one header block, separator included. The header block is the only part
    /// of a message held in memory whole; this keeps that memory bounded whatever the sender does.
    /// </summary>
    public int MaxHeaderBlockSize { get; init; } = 1024 * 1024;

    /// <summary>
    /// Deepest multipart nesting the structure checks descend. Stops stack and time blow-up
    /// from messages nested thousands deep (each level is a recursion and a boundary scan).
    /// </summary>
    public int MaxMimeDepth { get; init; } = 32;

    /// <summary>
    /// Most body parts the structure checks visit in one message. Stops a body of millions of
    /// empty parts from costing quadratic time in boundary scanning.
    /// </summary>
    public int MaxParts { get; init; } = 1000;

    /// <summary>
    /// Most parameters in one Content-Type or Content-Disposition value (RFC 2231 continuations
    /// count one each): a value with more ';' separators is not parsed at all (RFC 2045's
    /// default type then applies). Stops "a=1;a*1=2;..." parameter floods before MimeKit, which
    /// has no such limit, builds a list of them.
    /// </summary>
    public int MaxParameters { get; init; } = 100;

    /// <summary>
    /// Most body bytes held in memory to decide whether a message is already encrypted (inline
    /// PGP, PGP/MIME mangled by Exchange). A larger body is checked as it streams
    /// (StreamingClassifier), which covers every form but nested multiparts; those are encrypted
    /// whole. Stops a large message from being buffered just to be classified.
    /// </summary>
    public int MaxClassifyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> if a limit is not positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLineLength, 78, nameof(MaxLineLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeaderCount, 1, nameof(MaxHeaderCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeaderBlockSize, 1024, nameof(MaxHeaderBlockSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMimeDepth, 1, nameof(MaxMimeDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxParts, 1, nameof(MaxParts));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxParameters, 1, nameof(MaxParameters));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxClassifyBytes, 0, nameof(MaxClassifyBytes));
    }
}
