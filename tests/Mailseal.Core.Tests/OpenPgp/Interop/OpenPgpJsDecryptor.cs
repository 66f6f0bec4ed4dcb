namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// OpenPGP.js 6 (tests/oracles/decrypt.mjs): the one oracle here that reads v6 keys and SEIPD v2.
/// Its stderr names the encrypted data packet it found, e.g. <c>seipd=2 cipher=aes256 aead=ocb</c>.
/// </summary>
public sealed class OpenPgpJsDecryptor : IDecryptionOracle
{
    private readonly OracleKey _key;
    private readonly string _script;

    /// <summary>Uses <paramref name="key"/>'s secret key file directly.</summary>
    public OpenPgpJsDecryptor(OracleKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        _script = Path.Combine(ProgramLocator.RequireOpenPgpJs(), "decrypt.mjs");
    }

    /// <inheritdoc />
    public string Name => "openpgp.js";

    /// <summary>Timeout for one decryption.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <inheritdoc />
    public async Task<ProcessResult> DecryptAsync(string ciphertextPath, Stream plaintext, CancellationToken cancellationToken = default)
    {
        var input = File.OpenRead(ciphertextPath);
        await using (input.ConfigureAwait(false))
        {
            return await ProcessRunner.RunAsync(
                new ProcessRequest("node", [_script, _key.SecretKeyPath]) { Stdin = input, StdoutSink = plaintext, Timeout = Timeout },
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
