namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>Keys Sequoia and RNP generate: their own defaults for preferences, features and key flags.</summary>
public sealed class SequoiaRnpKeys : OracleKeyRing
{
    /// <summary>sq's two cipher suites, rnp's default (RSA-2048), EdDSA + X25519 and ECDSA + ECDH on P-256.</summary>
    public static readonly KeySpec[] Specs =
    [
        new("sq-cv25519", KeyGenerator.Sequoia, "cv25519"),
        new("sq-rsa3k", KeyGenerator.Sequoia, "rsa3k"),
        new("rnp-default", KeyGenerator.Rnp, "default"),
        new("rnp-eddsa-x25519", KeyGenerator.Rnp, "22"),
        new("rnp-ecdsa-p256", KeyGenerator.Rnp, "19,1"),
    ];

    /// <summary>Called by xunit once per test class.</summary>
    public SequoiaRnpKeys()
        : base(Specs)
    {
    }
}
