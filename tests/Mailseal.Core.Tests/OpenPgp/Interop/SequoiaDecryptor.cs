namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>Sequoia's Stateless OpenPGP CLI: <c>sqop decrypt SECRET.key &lt; message</c>.</summary>
public sealed class SequoiaDecryptor : IDecryptionOracle
{
    private readonly OracleKey _key;

    /// <summary>Uses <paramref name="key"/>'s secret key file directly (sqop keeps no state).</summary>
    public SequoiaDecryptor(OracleKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ProgramLocator.Require("sqop");
        _key = key;
    }

    /// <inheritdoc />
    public string Name => "sqop";

    /// <summary>Timeout for one decryption.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <inheritdoc />
    public async Task<ProcessResult> DecryptAsync(string ciphertextPath, Stream plaintext, CancellationToken cancellationToken = default)
    {
        var input = File.OpenRead(ciphertextPath);
        await using (input.ConfigureAwait(false))
        {
            return await ProcessRunner.RunAsync(
                new ProcessRequest("sqop", ["decrypt", _key.SecretKeyPath]) { Stdin = input, StdoutSink = plaintext, Timeout = Timeout },
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
