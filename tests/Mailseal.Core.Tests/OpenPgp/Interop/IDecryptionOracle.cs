namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// Another OpenPGP implementation holding one test key's secret, asked to decrypt what Mailseal
/// encrypted. The plaintext goes to a sink (usually a <see cref="HashingSink"/>); the result
/// keeps the exit code and stderr, so a refusal can be told from a crash or a hang.
/// </summary>
public interface IDecryptionOracle : IDisposable
{
    /// <summary>Short name for messages: gpg, sqop, rnp, openpgp.js.</summary>
    string Name { get; }

    /// <summary>Decrypts the message in <paramref name="ciphertextPath"/> (armored or binary) into <paramref name="plaintext"/>.</summary>
    Task<ProcessResult> DecryptAsync(string ciphertextPath, Stream plaintext, CancellationToken cancellationToken = default);
}
