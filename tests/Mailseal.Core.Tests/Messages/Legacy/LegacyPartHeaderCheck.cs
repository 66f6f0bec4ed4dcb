using Mailseal.Core.Messages;
using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Messages.Legacy;

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
/// parameter no client writes) is a place for plaintext: the message is encrypted (again).
/// What is left in the clear is bounded: a short file name.
/// </summary>
internal static class LegacyPartHeaderCheck
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
    public static bool IsAllowed(HeaderBlock headers, MimeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(headers);
        foreach (var h in headers.Headers)
        {
            var value = h.Value;
            bool ok = h.Name.ToUpperInvariant() switch
            {
                "CONTENT-TYPE" => LegacyContentType.TryParse(value, out var ct, limits) && ct.Parameters.All(p => IsTypeParameter(p.Key, p.Value)),
                "CONTENT-DISPOSITION" => LegacyContentDisposition.TryParse(value, out var cd, limits)
                    && (cd.Disposition.Equals("inline", StringComparison.OrdinalIgnoreCase) || cd.Disposition.Equals("attachment", StringComparison.OrdinalIgnoreCase))
                    && cd.Parameters.All(p => p.Key.Equals("filename", StringComparison.OrdinalIgnoreCase) && IsFileName(p.Value)),
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
