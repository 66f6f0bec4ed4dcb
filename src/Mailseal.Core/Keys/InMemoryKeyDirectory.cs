using System.Collections.Concurrent;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Keys;

/// <summary>
/// A dictionary-backed key directory for unit tests of the tools: the same address rules,
/// local-domain rule and key selection as the real stores, without files or a database. It
/// can also be told to fail, to test what a tool does when its key store is down.
/// </summary>
public sealed class InMemoryKeyDirectory : IKeyDirectory
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<Certificate>> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private readonly KeyDirectoryOptions _options;
    private readonly AddressNormalizer _normalizer;
    private readonly TimeProvider _time;
    private int _lookups;

    /// <summary>Creates an empty directory.</summary>
    public InMemoryKeyDirectory(KeyDirectoryOptions? options = null)
    {
        _options = options ?? new KeyDirectoryOptions();
        _normalizer = new AddressNormalizer(_options.RecipientDelimiter);
        _time = _options.TimeProvider ?? TimeProvider.System;
    }

    /// <summary>When set, every lookup throws it (a database that is down).</summary>
    public Exception? FailWith { get; set; }

    /// <summary>How many lookups were made.</summary>
    public int LookupCount => _lookups;

    /// <summary>Stores <paramref name="certificates"/> for <paramref name="address"/> (normalised; an empty list is an account without a usable key).</summary>
    public void Add(string address, IReadOnlyList<Certificate> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        _keys[_normalizer.Normalize(address).FullAddress] = certificates;
    }

    /// <summary>Stores the certificates read from armored or binary key data.</summary>
    public void AddKeyData(string address, ReadOnlySpan<byte> keyData) =>
        Add(address, CertificateReader.Read(keyData, _options.ReadOptions).Certificates);

    /// <summary>Makes <paramref name="alias"/> resolve to <paramref name="target"/>'s entry.</summary>
    public void AddAlias(string alias, string target) =>
        _aliases[_normalizer.Normalize(alias).FullAddress] = _normalizer.Normalize(target).FullAddress;

    /// <inheritdoc />
    public Task<KeyLookupResult> LookupAsync(string address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _lookups);
        if (FailWith is { } failure)
        {
            return Task.FromException<KeyLookupResult>(failure);
        }

        if (!_normalizer.TryNormalize(address, out NormalizedAddress? normalized, out string? error))
        {
            bool local = AddressNormalizer.DomainOf(address) is { } d && _options.IsLocalDomain(d);
            return Task.FromResult(KeyLookupResult.Invalid(address, local, error));
        }

        foreach (string candidate in normalized.Candidates)
        {
            string key = _aliases.TryGetValue(candidate, out string? target) ? target : candidate;
            if (_keys.TryGetValue(key, out IReadOnlyList<Certificate>? certificates))
            {
                return Task.FromResult(KeyLookupResult.FromCertificates(normalized.FullAddress, certificates, _time.GetUtcNow(), "memory:" + key));
            }
        }

        return Task.FromResult(KeyLookupResult.NotFound(normalized.FullAddress, _options.IsLocalDomain(normalized.Domain)));
    }
}
