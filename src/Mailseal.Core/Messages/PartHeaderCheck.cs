using Mailseal.Core.Mime;
using MimeKit;
using MimeHeader = MimeKit.Header;

namespace Mailseal.Core.Messages;

/// <summary>
/// The header fields of a part inside a message that is to pass as already encrypted: they
/// stay in the clear, so they are held to what OpenPGP and S/MIME clients write there, read
/// field by field rather than trusted:
/// <list type="bullet">
/// <item>Content-Type: a media type with only the parameters <c>name</c>, <c>charset</c>,
/// <c>protocol</c>, <c>smime-type</c>, <c>boundary</c>, <c>format</c>;</item>
/// <item>Content-Disposition: <c>inline</c> or <c>attachment</c> with at most a
/// <c>filename</c>;</item>
/// <item>a file name (<c>name</c>, <c>filename</c>) of at most <see cref="MaxFileNameLength"/>
/// characters: letters, digits, '.', '-', '_' (or one of <see cref="KnownFileNames"/>);</item>
/// <item>Content-Transfer-Encoding: one token; MIME-Version: 1.0;</item>
/// <item>Content-Description: one of the notes clients write (<see cref="KnownDescriptions"/>).</item>
/// </list>
/// Every other field or parameter (an X- field, a Content-Description of a paragraph, a
/// parameter no client writes, a line MimeKit kept as an invalid field) is a place for
/// plaintext: the message is encrypted (again). What is left in the clear is bounded: a short
/// file name. The fields are split and their values parsed by MimeKit; values are compared as
/// their raw bytes say, never RFC 2047-decoded (an encoded word is not what a client writes).
/// </summary>
internal static class PartHeaderCheck
{
    /// <summary>Longest file name taken in a name or filename parameter.</summary>
    public const int MaxFileNameLength = 40;

    /// <summary>Longest value taken for any other parameter (a boundary is at most 70).</summary>
    public const int MaxParameterLength = 70;

    /// <summary>The Content-Description values taken (compared ignoring case).</summary>
    public static readonly IReadOnlyList<string> KnownDescriptions =
    [
        "PGP/MIME version identification", "PGP/MIME Versions Identification", "OpenPGP encrypted message",
        "OpenPGP/MIME encrypted message", "PGP/MIME encrypted message", "S/MIME Encrypted Message",
    ];

    private static readonly string[] TypeParameters = ["name", "charset", "protocol", "smime-type", "boundary", "format"];

    /// <summary>True when every field is one a client writes, in the shape it writes it.</summary>
    public static bool IsAllowed(IReadOnlyList<MimeHeader> headers, MimeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var h in headers)
        {
            if (HasBareCr(h.RawField) || HasBareCr(h.RawValue))
                return false;
            var raw = h.RawValue.AsMemory();
            var value = MimeFields.RawText(h.RawValue);
            bool ok = h.Field.ToUpperInvariant() switch
            {
                "CONTENT-TYPE" => MimeFields.ParseContentType(raw, limits) is { } ct && ct.Parameters.All(p => IsTypeParameter(p.Name, p.Value)),
                "CONTENT-DISPOSITION" => MimeFields.ParseContentDisposition(raw, limits) is { } cd
                    && (cd.Disposition.Equals("inline", StringComparison.OrdinalIgnoreCase) || cd.Disposition.Equals("attachment", StringComparison.OrdinalIgnoreCase))
                    && cd.Parameters.All(p => p.Name.Equals("filename", StringComparison.OrdinalIgnoreCase) && IsFileName(p.Value)),
                "CONTENT-TRANSFER-ENCODING" => value.Length <= 20 && value.All(char.IsAsciiLetterOrDigit),
                "MIME-VERSION" => value == "1.0",
                "CONTENT-DESCRIPTION" => KnownDescriptions.Contains(value, StringComparer.OrdinalIgnoreCase),
                _ => false,
            };
            if (!ok)
                return false;
        }

        return true;
    }

    /// <summary>
    /// Reads a part's header block held as bytes (the streaming classifier collects them line by
    /// line) with MimeKit, as the in-memory check does, and returns its fields when they are
    /// allowed, else null. A block with a bare CR or more than <see cref="MimeLimits.MaxHeaderCount"/>
    /// lines is refused unread.
    /// </summary>
    public static HeaderList? ReadAllowed(ReadOnlySpan<byte> headerBlock, MimeLimits limits)
    {
        if (HasBareCr(headerBlock) || headerBlock.Count((byte)'\n') > limits.MaxHeaderCount + 1)
            return null;
        using var stream = new MemoryStream(headerBlock.ToArray(), writable: false);
        HeaderList headers;
        try
        {
            headers = HeaderList.Load(MimeFields.OptionsFor(limits), stream);
        }
        catch (FormatException)
        {
            return null; // MimeKit could not read it as header fields: not what a client writes
        }

        return IsAllowed([.. headers], limits) ? headers : null;
    }

    /// <summary>
    /// True when a CR is not followed by LF. Readers disagree on where such a line ends (see
    /// <see cref="HeaderParser"/>), so a part header holding one is not a client's.
    /// </summary>
    public static bool HasBareCr(ReadOnlySpan<byte> bytes)
    {
        var i = bytes.IndexOf((byte)'\r');
        while (i >= 0)
        {
            if (i + 1 >= bytes.Length || bytes[i + 1] != (byte)'\n')
                return true;
            var next = bytes[(i + 1)..].IndexOf((byte)'\r');
            i = next < 0 ? -1 : i + 1 + next;
        }

        return false;
    }

    private static bool IsTypeParameter(string name, string value)
    {
        if (!TypeParameters.Contains(name, StringComparer.OrdinalIgnoreCase))
            return false;
        return name.Equals("name", StringComparison.OrdinalIgnoreCase) ? IsFileName(value) : value.Length <= MaxParameterLength;
    }

    /// <summary>File names with blanks that clients write (Exchange renames the version part so).</summary>
    public static readonly IReadOnlyList<string> KnownFileNames = ["PGPMIME version identification", "PGPMIME Versions Identification"];

    private static bool IsFileName(string value) =>
        KnownFileNames.Contains(value, StringComparer.OrdinalIgnoreCase)
        || (value.Length is > 0 and <= MaxFileNameLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
}
