using MimeKit;

namespace Mailseal.Core.Mime;

/// <summary>
/// A parsed header block: the fields in order, the blank line that ended it, and the line
/// terminator the message uses, so a writer can answer in the same convention.
/// </summary>
public sealed class HeaderBlock
{
    internal HeaderBlock(IReadOnlyList<Header> headers, ReadOnlyMemory<byte> separator, string newLine,
        HeaderBlockStatus status, string? limitReason)
    {
        Headers = headers;
        Separator = separator;
        NewLine = newLine;
        Status = status;
        LimitReason = limitReason;
    }

    /// <summary>The complete header fields, in the order given.</summary>
    public IReadOnlyList<Header> Headers { get; }

    /// <summary>
    /// The blank line that ended the block ("\r\n" or "\n"), or empty when the block ended at
    /// the end of the input or at a line that is not a header field.
    /// </summary>
    public ReadOnlyMemory<byte> Separator { get; }

    /// <summary>"\r\n" when the first line of the message ends with CR LF, else "\n".</summary>
    public string NewLine { get; }

    /// <summary>Whether the block ended normally or at a limit.</summary>
    public HeaderBlockStatus Status { get; }

    /// <summary>Which limit was reached, for logs; null when <see cref="Status"/> is Complete.</summary>
    public string? LimitReason { get; }

    /// <summary>The first field named <paramref name="name"/>, or null.</summary>
    public Header? Find(string name)
    {
        foreach (var h in Headers)
        {
            if (h.Is(name))
                return h;
        }

        return null;
    }

    /// <summary>
    /// The first Content-Type field parsed by MimeKit (RFC 2045, RFC 2231), or null when absent
    /// or unparsable (RFC 2045's default, text/plain, then applies).
    /// </summary>
    public ContentType? GetContentType(MimeLimits? limits = null)
    {
        var h = Find("Content-Type");
        return h is null ? null : MimeFields.ParseContentType(h.RawValue, limits ?? MimeLimits.Default);
    }

    /// <summary>The first Content-Disposition field parsed by MimeKit (RFC 2183, RFC 2231), or null when absent or unparsable.</summary>
    public ContentDisposition? GetContentDisposition(MimeLimits? limits = null)
    {
        var h = Find("Content-Disposition");
        return h is null ? null : MimeFields.ParseContentDisposition(h.RawValue, limits ?? MimeLimits.Default);
    }
}
