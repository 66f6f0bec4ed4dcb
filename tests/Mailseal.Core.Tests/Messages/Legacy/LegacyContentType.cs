using Mailseal.Core.Mime;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Mailseal.Core.Tests.Messages.Legacy;

/// <summary>
/// A parsed Content-Type value (RFC 2045 section 5): <c>type/subtype</c> and its parameters,
/// RFC 2231 continuations and charsets decoded. Type and subtype are lower-cased.
/// </summary>
internal sealed class LegacyContentType
{
    private LegacyContentType(string mediaType, string mediaSubtype, IReadOnlyDictionary<string, string> parameters)
    {
        MediaType = mediaType;
        MediaSubtype = mediaSubtype;
        Parameters = parameters;
    }

    /// <summary>RFC 2045's default for an entity without a Content-Type: text/plain; charset=us-ascii.</summary>
    public static LegacyContentType Default { get; } = new("text", "plain",
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["charset"] = "us-ascii" });

    /// <summary>The top-level type, lower case (e.g. "multipart").</summary>
    public string MediaType { get; }

    /// <summary>The subtype, lower case (e.g. "encrypted").</summary>
    public string MediaSubtype { get; }

    /// <summary>Parameters by case-insensitive name, values decoded.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>The boundary parameter, or null.</summary>
    public string? Boundary => Parameters.GetValueOrDefault("boundary");

    /// <summary>True for <paramref name="type"/>/<paramref name="subtype"/>; "*" matches any subtype.</summary>
    public bool Is(string type, string subtype) =>
        string.Equals(MediaType, type, StringComparison.OrdinalIgnoreCase)
        && (subtype == "*" || string.Equals(MediaSubtype, subtype, StringComparison.OrdinalIgnoreCase));

    /// <summary>A parameter value, or null.</summary>
    public string? GetParameter(string name) => Parameters.GetValueOrDefault(name);

    /// <summary>Parses a header value; throws <see cref="FormatException"/> if it is not type/subtype.</summary>
    public static LegacyContentType Parse(string value, MimeLimits? limits = null) =>
        TryParse(value, out var ct, limits) ? ct : throw new FormatException("not a Content-Type value: type/subtype expected");

    /// <summary>Parses a header value; false when it is not type/subtype.</summary>
    public static bool TryParse(string value, [NotNullWhen(true)] out LegacyContentType? contentType, MimeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        limits ??= MimeLimits.Default;
        contentType = null;
        var p = LegacyMimeTokens.SkipCfws(value, 0);
        var type = LegacyMimeTokens.ReadToken(value, ref p);
        p = LegacyMimeTokens.SkipCfws(value, p);
        if (type.Length == 0 || p >= value.Length || value[p] != '/')
            return false;
        p = LegacyMimeTokens.SkipCfws(value, p + 1);
        var subtype = LegacyMimeTokens.ReadToken(value, ref p);
        if (subtype.Length == 0)
            return false;
        var parameters = LegacyMimeParameters.Parse(value, p, limits);
        contentType = new LegacyContentType(type.ToLowerInvariant(), subtype.ToLowerInvariant(), parameters);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{MediaType}/{MediaSubtype}");
}
