using Mailseal.Core.Mime;
using System.Diagnostics.CodeAnalysis;

namespace Mailseal.Core.Tests.Messages.Legacy;

/// <summary>A parsed Content-Disposition value (RFC 2183): inline/attachment and its parameters (RFC 2231 decoded).</summary>
internal sealed class LegacyContentDisposition
{
    private LegacyContentDisposition(string disposition, IReadOnlyDictionary<string, string> parameters)
    {
        Disposition = disposition;
        Parameters = parameters;
    }

    /// <summary>The disposition type, lower case ("inline", "attachment", ...).</summary>
    public string Disposition { get; }

    /// <summary>Parameters by case-insensitive name, values decoded.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>The filename parameter, or null.</summary>
    public string? FileName => Parameters.GetValueOrDefault("filename");

    /// <summary>Parses a header value; throws <see cref="FormatException"/> if no disposition type is present.</summary>
    public static LegacyContentDisposition Parse(string value, MimeLimits? limits = null) =>
        TryParse(value, out var cd, limits) ? cd : throw new FormatException("not a Content-Disposition value");

    /// <summary>Parses a header value; false when no disposition type is present.</summary>
    public static bool TryParse(string value, [NotNullWhen(true)] out LegacyContentDisposition? disposition, MimeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        disposition = null;
        var p = LegacyMimeTokens.SkipCfws(value, 0);
        var type = LegacyMimeTokens.ReadToken(value, ref p);
        if (type.Length == 0)
            return false;
        disposition = new LegacyContentDisposition(type.ToLowerInvariant(), LegacyMimeParameters.Parse(value, p, limits ?? MimeLimits.Default));
        return true;
    }
}
