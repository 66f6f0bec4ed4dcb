using Mailseal.Core.Configuration;

namespace Mailseal.Core.Keys;

/// <summary>Builds the key directory the configuration asks for.</summary>
public static class KeyDirectoryFactory
{
    /// <summary>
    /// The key folder alone when <paramref name="database"/> is empty; otherwise PostgreSQL
    /// first and the key folder after it (an address without a user or alias row can still
    /// have a key file). Either way an address is also looked up as Postfix may route it
    /// (<see cref="RoutedAddressKeyDirectory"/>: <c>bob%example.org@localhost</c> is
    /// <c>bob@example.org</c>). Dispose the result if it is <see cref="IDisposable"/>.
    /// </summary>
    /// <param name="keyDir">The <c>key_dir</c> setting.</param>
    /// <param name="database">The <c>database</c> setting.</param>
    /// <param name="options">Local domains, delimiter, limits.</param>
    public static IKeyDirectory Create(string keyDir, string database, KeyDirectoryOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyDir);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        var folder = new KeyFolder(keyDir, options);
        if (database.Length == 0)
        {
            return new RoutedAddressKeyDirectory(folder);
        }

        // Owned by the wrapper from here on: disposing it disposes the store.
#pragma warning disable CA2000
        return new RoutedAddressKeyDirectory(new OwningCompositeKeyDirectory(database, options, folder));
#pragma warning restore CA2000
    }

    /// <summary>The key directory for a tool's settings.</summary>
    public static IKeyDirectory Create(ToolSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Create(settings.KeyDir, settings.Database, KeyDirectoryOptions.From(settings));
    }

    private sealed class OwningCompositeKeyDirectory : IKeyDirectory, IDisposable, IAsyncDisposable
    {
        private readonly PostgresKeyStore _store;
        private readonly CompositeKeyDirectory _inner;

        public OwningCompositeKeyDirectory(string database, KeyDirectoryOptions options, KeyFolder folder)
        {
            _store = PostgresKeyStore.Create(database, options);
            _inner = new CompositeKeyDirectory(_store, folder);
        }

        public Task<KeyLookupResult> LookupAsync(string address, CancellationToken cancellationToken) =>
            _inner.LookupAsync(address, cancellationToken);

        public void Dispose() => _store.Dispose();

        public ValueTask DisposeAsync() => _store.DisposeAsync();
    }
}
