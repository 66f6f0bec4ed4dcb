namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>Three recipients of different families and generators, a fourth key nobody encrypts to, and a v6 key for mixed-version messages.</summary>
public sealed class MultipleRecipientKeys : OracleKeyRing
{
    /// <summary>RSA-3072 by gpg, Curve25519 by sq, ECDSA + ECDH P-256 by rnp; the outsider is gpg Ed25519 + Curve25519; a v6 Curve25519 key by OpenPGP.js.</summary>
    public static readonly KeySpec[] Specs =
    [
        new("multi-gpg-rsa3072", KeyGenerator.GnuPG, "rsa3072", "rsa3072"),
        new("multi-sq-cv25519", KeyGenerator.Sequoia, "cv25519"),
        new("multi-rnp-p256", KeyGenerator.Rnp, "19,1"),
        new("multi-outsider", KeyGenerator.GnuPG, "ed25519", "cv25519"),
        new("multi-js-v6", KeyGenerator.OpenPgpJs, "curve25519"),
    ];

    /// <summary>Called by xunit once per test class.</summary>
    public MultipleRecipientKeys()
        : base(Specs)
    {
    }
}
