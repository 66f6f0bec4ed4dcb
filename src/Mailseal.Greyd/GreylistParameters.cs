namespace Mailseal.Greyd;

/// <summary>The timing rules a store applies, in seconds (postgrey's <c>--delay</c>, <c>--retry-window</c>, <c>--max-age</c>, <c>--auto-whitelist-clients</c>).</summary>
public sealed record GreylistParameters
{
    /// <summary><c>--delay</c>: seconds a new triplet must wait (default 300).</summary>
    public long Delay { get; init; } = 300;

    /// <summary><c>--retry-window</c>: seconds allowed for the first retry before the triplet counts as new again (default 2 days).</summary>
    public long RetryWindow { get; init; } = 2 * 86400;

    /// <summary><c>--max-age</c>: seconds after its last sighting that a triplet or client is forgotten (default 35 days).</summary>
    public long MaxAge { get; init; } = 35 * 86400;

    /// <summary><c>--auto-whitelist-clients</c>: successful deliveries after which a client is whitelisted; 0 = off (default 5).</summary>
    public int AutoWhitelistClients { get; init; } = 5;

    /// <summary>Only one successful delivery per this many seconds counts towards the client whitelist (postgrey: one hour).</summary>
    public long AutoWhitelistInterval { get; init; } = 3600;
}
