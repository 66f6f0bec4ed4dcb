namespace Mailseal.Core.Mime;

/// <summary>How reading a header block ended.</summary>
public enum HeaderBlockStatus
{
    /// <summary>
    /// The block ended normally: at a blank line, at the first line that is neither a header
    /// field nor a continuation (the body then starts there, with no separator), or at the end
    /// of the input.
    /// </summary>
    Complete,

    /// <summary>
    /// A limit (line length, header count, block size) was reached before the block ended, or a
    /// field no reader agrees on (a bare CR, see <see cref="HeaderParser"/>) was found. The
    /// headers read so far are complete fields; the rest of the block was not parsed, and a
    /// filter treats all of it as body (the message is encrypted whole).
    /// </summary>
    LimitExceeded,
}
