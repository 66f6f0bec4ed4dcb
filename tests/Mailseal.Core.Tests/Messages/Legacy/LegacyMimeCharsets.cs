using Mailseal.Core.Mime;
using System.Text;

namespace Mailseal.Core.Tests.Messages.Legacy;

/// <summary>Charset names from MIME (RFC 2046, 2047, 2231) to .NET encodings.</summary>
internal static class LegacyMimeCharsets
{
    static LegacyMimeCharsets() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>
    /// The encoding a MIME charset names, or ISO-8859-1 (which maps every byte to a character,
    /// so nothing is lost) when the name is unknown. Decoding never throws.
    /// </summary>
    public static Encoding GetEncoding(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset))
            return Encoding.Latin1;
        var name = charset.Trim();
        if (string.Equals(name, "utf8", StringComparison.OrdinalIgnoreCase))
            name = "utf-8";
        try
        {
            return Encoding.GetEncoding(name, EncoderFallback.ReplacementFallback, DecoderFallback.ReplacementFallback);
        }
        catch (ArgumentException)
        {
            return Encoding.Latin1;
        }
    }
}
