namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// One kind of test key. <see cref="Primary"/> and <see cref="Subkey"/> are in the generator's
/// own vocabulary: gpg algorithm names (<c>ed25519</c> + <c>cv25519</c>), an sq cipher suite
/// (<c>cv25519</c>, <c>rsa3k</c>), rnp <c>default</c> or the answers to <c>rnpkeys --expert</c>
/// separated by commas (<c>22</c> = EdDSA + X25519, <c>19,1</c> = ECDSA + ECDH on P-256), an
/// OpenPGP.js type (<c>curve25519</c>, <c>curve448</c>).
/// </summary>
/// <param name="Name">Short name used in test names and user ids, e.g. <c>gpg-rsa3072</c>.</param>
/// <param name="Generator">Who generates it.</param>
/// <param name="Primary">Primary key algorithm (or suite, or expert answers).</param>
/// <param name="Subkey">Encryption subkey algorithm for gpg; null otherwise.</param>
/// <param name="SequoiaDecrypts">False where Sequoia as packaged here (Nettle) lacks the algorithm (brainpool, ElGamal) and must refuse.</param>
public sealed record KeySpec(string Name, KeyGenerator Generator, string Primary, string? Subkey = null, bool SequoiaDecrypts = true)
{
    /// <summary>The user id the key is generated with.</summary>
    public string Email => $"{Name}@interop.test";

    /// <inheritdoc />
    public override string ToString() => Name;
}
