using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using MimeKit;

namespace Mailseal.Core.Mime;

/// <summary>
/// Structured header values (Content-Type, Content-Disposition: tokens, comments, quoted
/// strings, RFC 2231 continuations and charsets) parsed by MimeKit, under our limits. MimeKit
/// bounds only MIME depth, so <see cref="MimeLimits.MaxParameters"/> is checked here, on the raw
/// bytes, before MimeKit sees them.
/// </summary>
internal static class MimeFields
{
    private static readonly ParserOptions DefaultOptions = Create(MimeLimits.Default);

    /// <summary>
    /// MimeKit's parser options for <paramref name="limits"/>. MaxMimeDepth is one more than
    /// ours, so MimeKit still opens the multipart one level beyond our limit and the structure
    /// check can report the limit by name rather than see an unexplained leaf.
    /// </summary>
    public static ParserOptions OptionsFor(MimeLimits limits) =>
        limits.MaxMimeDepth == MimeLimits.Default.MaxMimeDepth ? DefaultOptions : Create(limits);

    private static ParserOptions Create(MimeLimits limits) => new() { MaxMimeDepth = limits.MaxMimeDepth + 1 };

    /// <summary>
    /// A Content-Type value (the bytes after the colon, folding included) parsed by MimeKit, or
    /// null when MimeKit cannot read it or it holds more than <see cref="MimeLimits.MaxParameters"/>
    /// parameters (RFC 2045's default, text/plain, then applies: it never lets a body pass
    /// unless the body itself is ciphertext).
    /// </summary>
    public static ContentType? ParseContentType(ReadOnlyMemory<byte> rawValue, MimeLimits limits)
    {
        if (TooManyParameters(rawValue.Span, limits))
            return null;
        var (array, offset, length) = Segment(rawValue);
        return ContentType.TryParse(OptionsFor(limits), array, offset, length, out var type) ? type : null;
    }

    /// <summary>A Content-Disposition value parsed by MimeKit, or null (unreadable, or too many parameters).</summary>
    public static ContentDisposition? ParseContentDisposition(ReadOnlyMemory<byte> rawValue, MimeLimits limits)
    {
        if (TooManyParameters(rawValue.Span, limits))
            return null;
        var (array, offset, length) = Segment(rawValue);
        return ContentDisposition.TryParse(OptionsFor(limits), array, offset, length, out var disposition) ? disposition : null;
    }

    /// <summary>A parameter's value, or null when absent.</summary>
    public static string? Parameter(ContentType type, string name) =>
        type.Parameters.TryGetValue(name, out string? value) ? value : null;

    /// <summary>
    /// A raw value as text, unfolded and trimmed, without RFC 2047 decoding (what the bytes say,
    /// not what a reader would show): UTF-8 when valid (RFC 6532), else ISO-8859-1.
    /// </summary>
    public static string RawText(ReadOnlySpan<byte> rawValue)
    {
        var text = Utf8.IsValid(rawValue) ? Encoding.UTF8.GetString(rawValue) : Encoding.Latin1.GetString(rawValue);
        return Header.Unfold(text).Trim(' ', '\t', '\r', '\n');
    }

    /// <summary>True when the value has more parameter separators than the limit allows (a flood is refused unread).</summary>
    private static bool TooManyParameters(ReadOnlySpan<byte> rawValue, MimeLimits limits) =>
        rawValue.Count((byte)';') > limits.MaxParameters;

    private static (byte[] Array, int Offset, int Length) Segment(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Array is not null
            ? (segment.Array, segment.Offset, segment.Count)
            : (bytes.ToArray(), 0, bytes.Length);
}
