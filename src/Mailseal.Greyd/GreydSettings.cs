using System.Globalization;

namespace Mailseal.Greyd;

/// <summary>
/// Everything mailseal-greyd decides with, named as postgrey names it (<c>--delay</c>,
/// <c>--max-age</c>, ...) so a postgrey command line means the same here.
/// </summary>
public sealed record GreydSettings
{
    /// <summary>postgrey's default <c>--greylist-text</c>.</summary>
    public const string DefaultGreylistText = "Greylisted, see http://postgrey.schweikert.ch/help/%r.html";

    /// <summary>The default X-Greylist header; <c>%t</c> seconds delayed, <c>%v</c> version, <c>%h</c> host, <c>%d</c> date.</summary>
    public const string DefaultHeader = "X-Greylist: delayed %t seconds by mailseal-greyd-%v at %h; %d";

    /// <summary>The timing rules.</summary>
    public GreylistParameters Parameters { get; init; } = new();

    /// <summary><c>--lookup-by-host</c>: the whole client address in the triplet, not its network.</summary>
    public bool LookupByHost { get; init; }

    /// <summary><c>--ipv4cidr</c> (24).</summary>
    public int Ipv4Prefix { get; init; } = 24;

    /// <summary><c>--ipv6cidr</c> (64).</summary>
    public int Ipv6Prefix { get; init; } = 64;

    /// <summary><c>--privacy</c>: store SHA-1 hashes of the keys, as postgrey does.</summary>
    public bool Privacy { get; init; }

    /// <summary><c>--greylist-action</c> (DEFER_IF_PERMIT).</summary>
    public string GreylistAction { get; init; } = "DEFER_IF_PERMIT";

    /// <summary><c>--greylist-text</c>; <c>%s</c> seconds left, <c>%r</c> recipient domain.</summary>
    public string GreylistText { get; init; } = DefaultGreylistText;

    /// <summary><c>--x-greylist-header</c>.</summary>
    public string HeaderTemplate { get; init; } = DefaultHeader;

    /// <summary><c>--hostname</c> in the header (default: this host's name).</summary>
    public string HostName { get; init; } = string.Empty;

    /// <summary><c>--store-timeout</c>: most time one store call may take before the request is answered as unavailable (1 s).</summary>
    public TimeSpan StoreTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>--store-unavailable</c>.</summary>
    public StoreFailureAction StoreUnavailable { get; init; } = StoreFailureAction.Dunno;

    /// <summary>Messages remembered per <c>instance</c>, so a message gets one X-Greylist header.</summary>
    public int InstanceCacheSize { get; init; } = 10000;

    /// <summary>How long a message is remembered.</summary>
    public TimeSpan InstanceCacheLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>-v/-q: 0 quiet (problems only), 1 a line per decision (default), 2 more.</summary>
    public int Verbosity { get; init; } = 1;

    /// <summary>A whole number within bounds; throws <see cref="FormatException"/> naming the setting.</summary>
    public static long ParseLong(string value, string name, long min, long max)
    {
        if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new FormatException($"{name}: '{value}' is not a whole number from {min} to {max}");
        return n;
    }

    /// <summary>postgrey's <c>--retry-window</c>: days, or hours with an <c>h</c> suffix (<c>6h</c>); in seconds.</summary>
    public static long ParseRetryWindow(string value)
    {
        var v = value.Trim();
        if (v.EndsWith('h') || v.EndsWith('H'))
            return ParseLong(v[..^1], "retry_window", 0, 24 * 365) * 3600;
        return ParseLong(v, "retry_window", 0, 365) * 86400;
    }
}
