using System.Collections.Concurrent;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Keys;

/// <summary>
/// Parsed certificates kept per process, keyed by where they came from (a key file path, a
/// database row) and validated by a version stamp (file mtime and size, or the row's
/// <c>xmin</c>), so a daemon parses and verifies a key once, not once per message, and still
/// sees a replaced key at once. Thread-safe. Bounded: when full it is emptied.
/// </summary>
public sealed class CertificateCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly int _maxEntries;
    private long _parses;
    private long _hits;

    /// <summary>Creates a cache holding at most <paramref name="maxEntries"/> entries.</summary>
    public CertificateCache(int maxEntries = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        _maxEntries = maxEntries;
    }

    /// <summary>The cache the key directories of this process share by default.</summary>
    public static CertificateCache Shared { get; } = new();

    /// <summary>How many times key data was parsed (a miss).</summary>
    public long ParseCount => Interlocked.Read(ref _parses);

    /// <summary>How many lookups were served without parsing.</summary>
    public long HitCount => Interlocked.Read(ref _hits);

    /// <summary>Entries held.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// The parsed certificates for <paramref name="key"/> at <paramref name="version"/>, parsing
    /// with <paramref name="load"/> when absent or stale. A parse failure is cached too (as its
    /// reason), so a broken key file is not re-parsed for every message either.
    /// </summary>
    /// <param name="key">Where the key data lives (path or row key).</param>
    /// <param name="version">Stamp that changes whenever the data does.</param>
    /// <param name="load">Reads and parses the data; may throw <see cref="OpenPgpFormatException"/>.</param>
    public CachedCertificates GetOrParse(string key, string version, Func<IReadOnlyList<Certificate>> load)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(load);
        if (_entries.TryGetValue(key, out Entry? entry) && string.Equals(entry.Version, version, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _hits);
            return entry.Value;
        }

        Interlocked.Increment(ref _parses);
        CachedCertificates value;
        try
        {
            value = new CachedCertificates(load(), null);
        }
        catch (OpenPgpFormatException e)
        {
            value = new CachedCertificates([], e.Message);
        }

        if (_entries.Count >= _maxEntries)
        {
            _entries.Clear();
        }

        _entries[key] = new Entry(version, value);
        return value;
    }

    /// <summary>Forgets everything.</summary>
    public void Clear() => _entries.Clear();

    private sealed record Entry(string Version, CachedCertificates Value);
}
