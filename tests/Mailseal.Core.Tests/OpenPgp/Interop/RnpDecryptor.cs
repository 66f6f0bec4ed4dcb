namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>RNP (Thunderbird's OpenPGP engine): <c>rnp --homedir H --decrypt</c> after <c>rnpkeys --import</c> of this key's secret key.</summary>
public sealed class RnpDecryptor : IDecryptionOracle
{
    private readonly string _home;

    private RnpDecryptor(string home) => _home = home;

    /// <inheritdoc />
    public string Name => "rnp";

    /// <summary>Timeout for one decryption.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Creates a private rnp home and imports <paramref name="key"/>'s secret key into it.</summary>
    public static async Task<RnpDecryptor> CreateAsync(OracleKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ProgramLocator.Require("rnp");
        string home = Directory.CreateTempSubdirectory("msrnp-").FullName;
        try
        {
            (await ProcessRunner.RunAsync(new ProcessRequest("rnpkeys", ["--homedir", home, "--import", key.SecretKeyPath]), cancellationToken).ConfigureAwait(false)).EnsureSuccess();
            return new RnpDecryptor(home);
        }
        catch
        {
            Directory.Delete(home, recursive: true);
            throw;
        }
    }

    /// <inheritdoc />
    public Task<ProcessResult> DecryptAsync(string ciphertextPath, Stream plaintext, CancellationToken cancellationToken = default) =>
        ProcessRunner.RunAsync(
            new ProcessRequest("rnp", ["--homedir", _home, "--password", "", "--decrypt", ciphertextPath, "--output", "-"]) { StdoutSink = plaintext, Timeout = Timeout },
            cancellationToken);

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_home, recursive: true);
}
