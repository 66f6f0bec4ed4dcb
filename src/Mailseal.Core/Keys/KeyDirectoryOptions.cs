using Mailseal.Core.Configuration;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Keys;

/// <summary>What every key directory needs besides its store: the shared configuration names and limits.</summary>
public sealed record KeyDirectoryOptions
{
    /// <summary>Domains whose addresses are local (<c>local_domains</c>); compared in the form <see cref="DomainNames"/> gives (A-label, lower case).</summary>
    public IReadOnlyCollection<string> LocalDomains { get; init; } = [];

    /// <summary>Recipient delimiter characters (<c>recipient_delimiter</c>).</summary>
    public string RecipientDelimiter { get; init; } = ConfigurationDefaults.RecipientDelimiter;

    /// <summary>The clock keys are judged against (expiry); null = system.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Limits for reading certificates.</summary>
    public OpenPgpReadOptions ReadOptions { get; init; } = OpenPgpReadOptions.Default;

    /// <summary>Largest key file or pgpkey value in bytes; a bigger one is reported as unusable. Stops a flooded certificate from stalling every message.</summary>
    public int MaxKeyBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Longest wait for one key lookup in the key folder (open, examine, read, parse). A key
    /// file on a hung file system then defers the message instead of holding a pipe(8) process
    /// until Postfix's command_time_limit (1000 s).
    /// </summary>
    /// <remarks>Set with <c>key_read_timeout</c> / <c>--key-read-timeout</c> (seconds).</remarks>
    public TimeSpan KeyReadTimeout { get; init; } = DefaultKeyReadTimeout;

    /// <summary>The default <see cref="KeyReadTimeout"/>: 10 s.</summary>
    public static TimeSpan DefaultKeyReadTimeout { get; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// True in a process that handles one message (mailseal-encrypt, mailseal-pipe): each key-folder
    /// read under <see cref="KeyReadTimeout"/> runs on a thread of its own, and the caller waits for
    /// it. False (daemons): it runs on the thread pool and the caller awaits it. Starting the pool
    /// (its workers and timer thread) for one read costs such a process more than the read.
    /// </summary>
    public bool ReadOnOwnThread { get; init; }

    /// <summary>Most certificate sets kept in the process cache; the cache is emptied when it would grow beyond.</summary>
    public int MaxCacheEntries { get; init; } = 10_000;

    /// <summary>Options from a tool's settings.</summary>
    public static KeyDirectoryOptions From(ToolSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new KeyDirectoryOptions { LocalDomains = settings.LocalDomains, RecipientDelimiter = settings.RecipientDelimiter };
    }

    /// <summary>
    /// True when <paramref name="domain"/> is one of <see cref="LocalDomains"/>, both read through
    /// <see cref="DomainNames"/> (U-label or A-label, any case), or when the two are one domain to
    /// Postfix, which compares full case foldings (<c>faß.example</c> is <c>fass.example</c>):
    /// whatever Postfix delivers to a local domain is local here too.
    /// </summary>
    internal bool IsLocalDomain(string domain)
    {
        string wanted = Comparable(domain);
        string wantedFold = DomainNames.FoldKey(wanted);
        foreach (string d in LocalDomains)
        {
            string local = Comparable(d);
            if (string.Equals(local, wanted, StringComparison.Ordinal)
                || string.Equals(DomainNames.FoldKey(local), wantedFold, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string Comparable(string domain) =>
        DomainNames.TryNormalize(domain, out string? ascii, out _) ? ascii : domain.TrimEnd('.').ToLowerInvariant();
}
