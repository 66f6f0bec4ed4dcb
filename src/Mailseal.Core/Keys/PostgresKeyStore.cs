using System.Globalization;
using System.Text;
using Mailseal.Core.OpenPgp;
using Npgsql;

namespace Mailseal.Core.Keys;

/// <summary>
/// Keys from the PostgreSQL schema Mailseal shares with Dovecot (DESIGN.md, "Keys and
/// accounts"): <c>users(email, pgpkey, ...)</c> and <c>aliases(alias, email)</c>. An address
/// found as a user, or as an alias (followed to its user), is local; <c>users.key_fingerprint</c>,
/// when set, picks which of the stored certificates to use. Parameterised SQL only.
/// Parsed certificates are cached per process keyed by the user's row and its version
/// (<c>xmin</c>, which changes whenever the row does), so a daemon does not re-parse a key per
/// message. Waits are bounded by the connection string's Timeout and Command Timeout.
/// </summary>
public sealed class PostgresKeyStore : IKeyDirectory, IAsyncDisposable, IDisposable
{
    // Users first, then aliases (one hop: aliases.email references users.email).
    private const string LookupSql = """
        SELECT u.email, u.pgpkey, u.key_fingerprint, u.xmin, 0 AS via FROM users u WHERE u.email = $1
        UNION ALL
        SELECT u.email, u.pgpkey, u.key_fingerprint, u.xmin, 1 AS via FROM aliases a JOIN users u ON u.email = a.email WHERE a.alias = $1
        ORDER BY via
        LIMIT 1
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly KeyDirectoryOptions _options;
    private readonly AddressNormalizer _normalizer;
    private readonly CertificateCache _cache;
    private readonly TimeProvider _time;
    private readonly string _cacheScope;

    /// <summary>Creates the store over a data source the caller owns.</summary>
    public PostgresKeyStore(NpgsqlDataSource dataSource, KeyDirectoryOptions options, CertificateCache? cache = null)
        : this(dataSource, ownsDataSource: false, options, cache)
    {
    }

    private PostgresKeyStore(NpgsqlDataSource dataSource, bool ownsDataSource, KeyDirectoryOptions options, CertificateCache? cache)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _options = options;
        _normalizer = new AddressNormalizer(options.RecipientDelimiter);
        _cache = cache ?? CertificateCache.Shared;
        _time = options.TimeProvider ?? TimeProvider.System;
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        _cacheScope = string.Create(CultureInfo.InvariantCulture, $"db:{builder.Host}:{builder.Port}/{builder.Database}:");
    }

    /// <summary>Creates the store with its own data source for <paramref name="connectionString"/> (the <c>database</c> setting).</summary>
    public static PostgresKeyStore Create(string connectionString, KeyDirectoryOptions options, CertificateCache? cache = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        // The slim builder maps only the basic types (text, here): the full one roots every
        // type mapping Npgsql has, which NativeAOT then compiles in and rehydrates at every start
        // of a per-message tool (docs/native-binaries.md).
        NpgsqlDataSource dataSource = new NpgsqlSlimDataSourceBuilder(connectionString).Build();
        try
        {
            return new PostgresKeyStore(dataSource, ownsDataSource: true, options, cache);
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<KeyLookupResult> LookupAsync(string address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!_normalizer.TryNormalize(address, out NormalizedAddress? normalized, out string? error))
        {
            bool local = AddressNormalizer.DomainOf(address) is { } d && _options.IsLocalDomain(d);
            return KeyLookupResult.Invalid(address, local, error);
        }

        try
        {
            await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            foreach (string candidate in normalized.Candidates)
            {
                await using var command = new NpgsqlCommand(LookupSql, connection);
                command.Parameters.Add(new NpgsqlParameter { Value = candidate });
                await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                string email = reader.GetString(0);
                string pgpKey = reader.GetString(1);
                string? pinned = await reader.IsDBNullAsync(2, cancellationToken).ConfigureAwait(false) ? null : reader.GetString(2);
                uint version = await reader.GetFieldValueAsync<uint>(3, cancellationToken).ConfigureAwait(false);
                string source = "database:" + email;
                CachedCertificates certificates = _cache.GetOrParse(_cacheScope + email, version.ToString(CultureInfo.InvariantCulture), () => Parse(pgpKey));
                if (certificates.Error is not null)
                {
                    return KeyLookupResult.Unreadable(normalized.FullAddress, $"key of {email} in the database: {certificates.Error}", source);
                }

                IReadOnlyList<Certificate> chosen = Pinned(certificates.Certificates, pinned);
                return chosen.Count == 0
                    ? KeyLookupResult.Unreadable(normalized.FullAddress, $"key_fingerprint {pinned} of {email} matches none of its certificates", source)
                    : KeyLookupResult.FromCertificates(normalized.FullAddress, chosen, _time.GetUtcNow(), source);
            }

            return KeyLookupResult.NotFound(normalized.FullAddress, _options.IsLocalDomain(normalized.Domain));
        }
        catch (NpgsqlException e)
        {
            string detail = e is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : e.Message;
            throw new KeyDirectoryException("key database: " + detail, KeyDirectoryException.DirectoryFailureStatusCode, e.IsTransient, e);
        }
        catch (TimeoutException e)
        {
            throw new KeyDirectoryException("key database: timed out", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// users.key_fingerprint picks one certificate when pgpkey holds several; empty or null
    /// means all of them (the first usable one wins). Blanks and a 0x prefix are ignored.
    /// </summary>
    private static IReadOnlyList<Certificate> Pinned(IReadOnlyList<Certificate> certificates, string? fingerprint)
    {
        string wanted = (fingerprint ?? string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal).Trim();
        if (wanted.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            wanted = wanted[2..];
        }

        return wanted.Length == 0
            ? certificates
            : certificates.Where(c => string.Equals(c.FingerprintHex, wanted, StringComparison.OrdinalIgnoreCase)).ToArray();
    }

    private IReadOnlyList<Certificate> Parse(string pgpKey)
    {
        byte[] data = Encoding.UTF8.GetBytes(pgpKey);
        if (data.Length > _options.MaxKeyBytes)
        {
            throw new OpenPgpFormatException($"larger than {_options.MaxKeyBytes} bytes (MaxKeyBytes)");
        }

        return CertificateReader.Read(data, _options.ReadOptions).Certificates;
    }
}
