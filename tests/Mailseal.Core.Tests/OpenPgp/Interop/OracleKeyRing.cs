namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// An xunit fixture that generates a set of keys once per test run and prepares the oracles that
/// decrypt with each: gpg (a home holding only that key's secret), sqop and rnp for v4 keys,
/// OpenPGP.js for v6 keys. Everything lives in one private temp directory, removed at the end,
/// and every GnuPG agent started for it is killed.
/// </summary>
public abstract class OracleKeyRing : IAsyncLifetime
{
    private readonly IReadOnlyList<KeySpec> _specs;
    private readonly Dictionary<string, OracleKey> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<IDecryptionOracle>> _oracles = new(StringComparer.Ordinal);

    /// <summary>Prepares a ring of <paramref name="specs"/>; nothing runs until xunit calls <see cref="InitializeAsync"/>.</summary>
    protected OracleKeyRing(IReadOnlyList<KeySpec> specs) => _specs = specs;

    /// <summary>Private (0700) directory for the keys and the ciphertexts of this run.</summary>
    public string WorkDirectory { get; } = Directory.CreateTempSubdirectory("msinterop-").FullName;

    /// <summary>The generated key named <paramref name="name"/>.</summary>
    public OracleKey Key(string name) => _keys[name];

    /// <summary>The oracles holding the secret key of <paramref name="name"/>.</summary>
    public IReadOnlyList<IDecryptionOracle> Oracles(string name) => _oracles[name];

    /// <summary>Generates the keys (two at a time) and imports each secret key into its oracles.</summary>
    public async Task InitializeAsync()
    {
        using var factory = new OracleKeyFactory(WorkDirectory);
        foreach (var key in await factory.GenerateAllAsync(_specs))
        {
            _keys[key.Spec.Name] = key;
            _oracles[key.Spec.Name] = key.Spec.Generator == KeyGenerator.OpenPgpJs
                ? [new OpenPgpJsDecryptor(key)]
                : [await GpgDecryptor.CreateAsync(key), new SequoiaDecryptor(key), await RnpDecryptor.CreateAsync(key)];
        }
    }

    /// <summary>Stops the agents and removes the directory.</summary>
    public Task DisposeAsync()
    {
        foreach (var oracle in _oracles.Values.SelectMany(o => o))
            oracle.Dispose();
        Directory.Delete(WorkDirectory, recursive: true);
        return Task.CompletedTask;
    }
}
