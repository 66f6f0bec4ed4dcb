namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>A generated test key: its spec, fingerprint, and the armored certificate and unprotected secret key on disk.</summary>
/// <param name="Spec">What was asked for.</param>
/// <param name="Fingerprint">Primary key fingerprint as the generator reports it (upper-case hex).</param>
/// <param name="PublicKeyPath">Armored certificate (transferable public key).</param>
/// <param name="SecretKeyPath">Armored transferable secret key, not passphrase-protected (mode 0600).</param>
public sealed record OracleKey(KeySpec Spec, string Fingerprint, string PublicKeyPath, string SecretKeyPath)
{
    /// <summary>The certificate's bytes, as the reader under test reads them.</summary>
    public byte[] ReadPublicKey() => File.ReadAllBytes(PublicKeyPath);

    /// <inheritdoc />
    public override string ToString() => Spec.Name;
}
