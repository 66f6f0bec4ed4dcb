namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>v6 (RFC 9580) keys from OpenPGP.js: none of gpg 2.2, rnp 0.16 or sq 0.27 reads them.</summary>
public sealed class OpenPgpJsV6Keys : OracleKeyRing
{
    /// <summary>Ed25519 + X25519 and Ed448 + X448, both v6.</summary>
    public static readonly KeySpec[] Specs =
    [
        new("js-v6-curve25519", KeyGenerator.OpenPgpJs, "curve25519"),
        new("js-v6-curve448", KeyGenerator.OpenPgpJs, "curve448"),
    ];

    /// <summary>Called by xunit once per test class.</summary>
    public OpenPgpJsV6Keys()
        : base(Specs)
    {
    }
}
