namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>Keys GnuPG 2.2 generates, one per public-key family it offers.</summary>
public sealed class GnuPgKeys : OracleKeyRing
{
    /// <summary>
    /// RSA at three sizes, Ed25519 + Curve25519 ECDH, the NIST curves, brainpoolP256r1, and
    /// DSA + ElGamal. Sequoia as packaged here (Nettle) has neither brainpool nor ElGamal.
    /// </summary>
    public static readonly KeySpec[] Specs =
    [
        new("gpg-rsa2048", KeyGenerator.GnuPG, "rsa2048", "rsa2048"),
        new("gpg-rsa3072", KeyGenerator.GnuPG, "rsa3072", "rsa3072"),
        new("gpg-rsa4096", KeyGenerator.GnuPG, "rsa4096", "rsa4096"),
        new("gpg-ed25519-cv25519", KeyGenerator.GnuPG, "ed25519", "cv25519"),
        new("gpg-nistp256", KeyGenerator.GnuPG, "nistp256", "nistp256"),
        new("gpg-nistp384", KeyGenerator.GnuPG, "nistp384", "nistp384"),
        new("gpg-nistp521", KeyGenerator.GnuPG, "nistp521", "nistp521"),
        new("gpg-brainpoolp256r1", KeyGenerator.GnuPG, "brainpoolP256r1", "brainpoolP256r1", SequoiaDecrypts: false),
        new("gpg-dsa2048-elg2048", KeyGenerator.GnuPG, "dsa2048", "elg2048", SequoiaDecrypts: false),
    ];

    /// <summary>Called by xunit once per test class.</summary>
    public GnuPgKeys()
        : base(Specs)
    {
    }
}
