namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>gpg --decrypt in a GnuPG home that holds only this key's secret key.</summary>
public sealed class GpgDecryptor : IDecryptionOracle
{
    private readonly GnuPgHome _home;

    private GpgDecryptor(GnuPgHome home) => _home = home;

    /// <inheritdoc />
    public string Name => "gpg";

    /// <summary>The home the secret key was imported into.</summary>
    public GnuPgHome Home => _home;

    /// <summary>Creates a fresh home and imports <paramref name="key"/>'s secret key.</summary>
    public static async Task<GpgDecryptor> CreateAsync(OracleKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var home = GnuPgHome.Create();
        try
        {
            await home.ImportAsync(key.SecretKeyPath, cancellationToken).ConfigureAwait(false);
            return new GpgDecryptor(home);
        }
        catch
        {
            home.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public Task<ProcessResult> DecryptAsync(string ciphertextPath, Stream plaintext, CancellationToken cancellationToken = default) =>
        _home.RunAsync(["--decrypt", ciphertextPath], stdout: plaintext, cancellationToken: cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _home.Dispose();
}
