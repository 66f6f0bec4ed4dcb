namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Limits the certificate reader applies to untrusted input (a key uploaded by a user, a key
/// file in the key folder, a key fetched from a database row). Each limit names the attack it
/// stops; the defaults are far above what any real certificate needs.
/// </summary>
public sealed class OpenPgpReadOptions
{
    /// <summary>The defaults.</summary>
    public static OpenPgpReadOptions Default { get; } = new();

    /// <summary>
    /// Largest input accepted, in octets (armored or binary). Stops a huge or endless file or
    /// stream from exhausting memory before parsing starts. Default 16 MiB.
    /// </summary>
    public int MaxInputBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Largest single packet body, in octets. Stops a forged length field from making the
    /// reader allocate or hash gigabytes (a 4-octet length can claim 4 GiB). Default 1 MiB:
    /// a 16384-bit RSA key is about 4 KiB, a user-attribute photo rarely over 100 KiB.
    /// </summary>
    public int MaxPacketBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Most packets in one transferable public key. Stops certificate flooding (thousands of
    /// third-party signatures, as on the SKS keyservers in 2019) from making reading and
    /// verification take minutes. A certificate beyond it is skipped with a warning. Default 10000.
    /// </summary>
    public int MaxPacketsPerCertificate { get; init; } = 10_000;

    /// <summary>
    /// Most certificates read from one input. Stops a key file that concatenates thousands of
    /// keys from turning one lookup into a long verification run; the rest is skipped with a
    /// warning. Default 100.
    /// </summary>
    public int MaxCertificatesPerFile { get; init; } = 100;

    /// <summary>
    /// Most subpackets in one signature subpacket area (hashed or unhashed). Stops a signature
    /// packed with tiny subpackets from costing a parse per octet. A signature beyond it is
    /// treated as unreadable. Default 256.
    /// </summary>
    public int MaxSubpackets { get; init; } = 256;

    /// <summary>
    /// Most armored blocks read from one input. Stops a text file of thousands of tiny
    /// BEGIN/END pairs. Default 100.
    /// </summary>
    public int MaxArmorBlocks { get; init; } = 100;

    /// <summary>
    /// Largest public-key size in bits accepted for RSA, DSA and ElGamal. Stops a forged
    /// 65536-bit modulus from making one signature check cost seconds. Default 16384.
    /// </summary>
    public int MaxKeyBits { get; init; } = 16384;

    /// <summary>
    /// Most self-signature checks (public-key operations) spent on one certificate. Stops a
    /// certificate stuffed with forged signatures that name the primary key as issuer from
    /// costing minutes of verification; signatures beyond it count as not verifying, with a
    /// warning. Default 100 (a real key has a handful; a long-lived one a few dozen).
    /// </summary>
    public int MaxSignatureChecks { get; init; } = 100;

    internal void Validate()
    {
        if (MaxInputBytes <= 0 || MaxPacketBytes <= 0 || MaxPacketsPerCertificate <= 0 || MaxCertificatesPerFile <= 0
            || MaxSubpackets <= 0 || MaxArmorBlocks <= 0 || MaxKeyBits < 1024 || MaxSignatureChecks <= 0)
            throw new ArgumentException("OpenPgpReadOptions: every limit must be positive (MaxKeyBits at least 1024)");
    }
}
