using System.Globalization;
using Mailseal.Core.OpenPgp;
using Microsoft.Win32.SafeHandles;

namespace Mailseal.Core.Keys;

/// <summary>
/// The embedded key directory: <c>key_dir/&lt;lower-cased address&gt;.asc</c>, one file per
/// address (a symlink for an alias), each holding one or more certificates, armored or binary.
/// A file is opened by name, never found by scanning the folder; the address is normalised
/// and checked first so no name can leave the folder. An address is local when its domain is
/// in <c>local_domains</c> or its key file exists. Parsed certificates are cached per process
/// by path, checked against the file's mtime and size on every lookup.
/// </summary>
public sealed class KeyFolder : IKeyDirectory
{
    private readonly KeyDirectoryOptions _options;
    private readonly AddressNormalizer _normalizer;
    private readonly CertificateCache _cache;
    private readonly TimeProvider _time;

    /// <summary>Creates the key folder.</summary>
    /// <param name="directory">The folder (<c>key_dir</c>).</param>
    /// <param name="options">Local domains, delimiter, limits.</param>
    /// <param name="cache">Certificate cache; null = <see cref="CertificateCache.Shared"/>.</param>
    public KeyFolder(string directory, KeyDirectoryOptions options, CertificateCache? cache = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(options);
        Directory = directory;
        _options = options;
        _normalizer = new AddressNormalizer(options.RecipientDelimiter);
        _cache = cache ?? CertificateCache.Shared;
        _time = options.TimeProvider ?? TimeProvider.System;
    }

    /// <summary>The folder keys are read from.</summary>
    public string Directory { get; }

    /// <summary>The file a normalised address is looked up in.</summary>
    public string PathFor(string normalizedAddress)
    {
        ArgumentNullException.ThrowIfNull(normalizedAddress);
        return Path.Join(Directory, normalizedAddress + ".asc");
    }

    /// <inheritdoc />
    /// <remarks>
    /// The read runs on another thread under <see cref="KeyDirectoryOptions.KeyReadTimeout"/>
    /// (a pool thread, or one of its own with <see cref="KeyDirectoryOptions.ReadOnOwnThread"/>):
    /// open(2) cannot block (see <see cref="KeyFileOpener"/>), but a read from a hung network
    /// file system can, and a filter must defer the message rather than wait for ever.
    /// </remarks>
    public async Task<KeyLookupResult> LookupAsync(string address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            if (_options.ReadOnOwnThread)
                return LookupOnOwnThread(address, cancellationToken);
            return await Task.Run(() => Lookup(address), CancellationToken.None)
                .WaitAsync(_options.KeyReadTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new KeyDirectoryException(
                string.Create(CultureInfo.InvariantCulture, $"key folder {Directory}: no answer within {_options.KeyReadTimeout.TotalSeconds:0.#} s (a hung file system?)"), e);
        }
    }

    /// <summary>
    /// <see cref="Lookup"/> on a background thread of its own while the caller waits at most
    /// <see cref="KeyDirectoryOptions.KeyReadTimeout"/>. A hung read keeps only that thread, which
    /// does not hold the process open.
    /// </summary>
    private KeyLookupResult LookupOnOwnThread(string address, CancellationToken cancellationToken)
    {
        KeyLookupResult? result = null;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;

        // Never disposed: after a timeout the reader may still set it, and without its WaitHandle
        // (never asked for here) a ManualResetEventSlim holds nothing the GC does not free.
#pragma warning disable CA2000
        var done = new ManualResetEventSlim();
#pragma warning restore CA2000
        var reader = new Thread(() =>
        {
            try
            {
                result = Lookup(address);
            }
            catch (Exception e)
            {
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                done.Set();
            }
        })
        {
            IsBackground = true,
            Name = "key folder read",
        };
        reader.Start();
        if (!done.Wait(_options.KeyReadTimeout, cancellationToken))
            throw new TimeoutException();
        failure?.Throw();
        return result!;
    }

    private KeyLookupResult Lookup(string address)
    {
        if (!_normalizer.TryNormalize(address, out NormalizedAddress? normalized, out string? error))
        {
            bool local = AddressNormalizer.DomainOf(address) is { } d && _options.IsLocalDomain(d);
            return KeyLookupResult.Invalid(address, local, error);
        }

        foreach (string candidate in normalized.Candidates)
        {
            string path = PathFor(candidate);
            CachedCertificates? found = TryRead(path);
            if (found is null)
            {
                continue;
            }

            return found.Error is not null
                ? KeyLookupResult.Unreadable(normalized.FullAddress, $"key file {path}: {found.Error}", path)
                : KeyLookupResult.FromCertificates(normalized.FullAddress, found.Certificates, _time.GetUtcNow(), path);
        }

        return KeyLookupResult.NotFound(normalized.FullAddress, _options.IsLocalDomain(normalized.Domain));
    }

    private CachedCertificates? TryRead(string path)
    {
        KeyFileOpener.Result opened = KeyFileOpener.Open(path);
        if (opened.NotFound)
        {
            // No such file, or the folder itself is missing: every address is "no key", and local ones defer.
            return null;
        }

        if (opened.Handle is null)
        {
            // A FIFO, a device, a directory, a socket, unreadable: the admin must look. Deferred, never a wait.
            throw new KeyDirectoryException($"key file {path}: {opened.Problem}", "4.3.5", isTransient: false, innerException: null);
        }

        using SafeFileHandle handle = opened.Handle;
        try
        {
            // fstat of the opened file: for a symlink these are the target's, so replacing
            // the target (or re-pointing the link) is noticed.
            long length = RandomAccess.GetLength(handle);
            DateTime modified = File.GetLastWriteTimeUtc(handle);
            string version = string.Create(CultureInfo.InvariantCulture, $"{modified.Ticks}:{length}");
            return _cache.GetOrParse("file:" + path, version, () => Parse(handle, length));
        }
        catch (UnauthorizedAccessException e)
        {
            throw new KeyDirectoryException($"key file {path}: permission denied", "4.3.5", isTransient: false, e);
        }
        catch (IOException e)
        {
            // A read error: the admin must look.
            throw new KeyDirectoryException($"key file {path}: {e.Message}", "4.3.5", isTransient: false, e);
        }
    }

    private IReadOnlyList<Certificate> Parse(SafeFileHandle handle, long length)
    {
        if (length > _options.MaxKeyBytes)
        {
            throw new OpenPgpFormatException($"larger than {_options.MaxKeyBytes} bytes (MaxKeyBytes)");
        }

        // One byte more than the limit: a file that grew since fstat is noticed, not truncated.
        byte[] data = new byte[Math.Min(length, _options.MaxKeyBytes) + 1];
        int total = 0;
        while (total < data.Length)
        {
            int read = RandomAccess.Read(handle, data.AsSpan(total), total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        if (total > _options.MaxKeyBytes)
        {
            throw new OpenPgpFormatException($"larger than {_options.MaxKeyBytes} bytes (MaxKeyBytes)");
        }

        if (total == 0)
        {
            throw new OpenPgpFormatException("the file is empty");
        }

        return CertificateReader.Read(data.AsSpan(0, total), _options.ReadOptions).Certificates;
    }
}
