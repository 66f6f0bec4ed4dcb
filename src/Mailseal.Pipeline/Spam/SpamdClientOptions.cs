namespace Mailseal.Pipeline.Spam;

/// <summary>Limits and settings for talking to spamd. Every wait and size is bounded.</summary>
public sealed record SpamdClientOptions
{
    /// <summary>Where spamd listens (config <c>spamd</c>): inet:HOST:PORT or unix:/PATH. Default inet:127.0.0.1:783.</summary>
    public string Endpoint { get; init; } = "inet:127.0.0.1:783";

    /// <summary>
    /// Messages larger than this are not checked (config <c>spam_max_size</c>), as spamc's
    /// <c>-s</c> default of 500 KB: spam is small, and scanning large mail costs spamd dearly.
    /// </summary>
    public int MaxMessageSize { get; init; } = 500 * 1024;

    /// <summary>How long connecting may take before spamd counts as unreachable.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the whole check may take (spamc's -t is 600 s; a pipe filter should not hold a message that long).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The spamd <c>User:</c> for per-user rules, or null for spamd's default.</summary>
    public string? User { get; init; }

    /// <summary>
    /// The largest reply read from spamd. A HEADERS reply is the header block only; this stops a
    /// broken or hostile server from making the filter buffer without end.
    /// </summary>
    public int MaxResponseSize { get; init; } = 1024 * 1024;
}
