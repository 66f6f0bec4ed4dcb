using System.Text;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>Appends packets of a hand-made transferable public key, signing with <see cref="CraftedKey"/>.</summary>
internal sealed class CraftedCertificate
{
    private readonly List<byte> _bytes = [];

    public CraftedCertificate(CraftedKey primary)
    {
        Primary = primary;
        _bytes.AddRange(PacketBytes.New(6, primary.Body));
    }

    public CraftedKey Primary { get; }

    private byte[] PrimaryFrame => CraftedKey.KeyFrame(Primary.Body, Primary.Version);

    public CraftedCertificate SignDirect(SignatureType type, byte[] subpackets)
    {
        _bytes.AddRange(Primary.Sign(type, PrimaryFrame, [.. CraftedKey.Created(CraftedKey.T0), .. Primary.IssuerFingerprint(), .. subpackets]));
        return this;
    }

    public CraftedCertificate AddUserId(string uid)
    {
        _bytes.AddRange(PacketBytes.New(13, Encoding.UTF8.GetBytes(uid)));
        return this;
    }

    public CraftedCertificate SignUserId(string uid, byte[] subpackets, SignatureType type = SignatureType.PositiveCertification,
        HashAlgorithm hash = HashAlgorithm.Sha256, CraftedKey? signer = null, DateTimeOffset? created = null)
    {
        signer ??= Primary;
        byte[] prefix = [.. PrimaryFrame, .. CraftedKey.UserIdFrame(Encoding.UTF8.GetBytes(uid))];
        _bytes.AddRange(signer.Sign(type, prefix, [.. CraftedKey.Created(created ?? CraftedKey.T0), .. signer.IssuerFingerprint(), .. subpackets], hash));
        return this;
    }

    public CraftedCertificate AddSubkey(byte[] body)
    {
        _bytes.AddRange(PacketBytes.New(14, body));
        return this;
    }

    public CraftedCertificate SignSubkey(byte[] body, byte[] subpackets, SignatureType type = SignatureType.SubkeyBinding,
        HashAlgorithm hash = HashAlgorithm.Sha256, DateTimeOffset? created = null)
    {
        byte[] prefix = [.. PrimaryFrame, .. CraftedKey.KeyFrame(body, body[0])];
        _bytes.AddRange(Primary.Sign(type, prefix, [.. CraftedKey.Created(created ?? CraftedKey.T0), .. Primary.IssuerFingerprint(), .. subpackets], hash));
        return this;
    }

    public CraftedCertificate Raw(byte[] packet)
    {
        _bytes.AddRange(packet);
        return this;
    }

    public byte[] Build() => [.. _bytes];

    /// <summary>The usual shape: a primary user id with preferences, one ECDH (v4) or X25519 (v6) subkey flagged for encryption.</summary>
    public static (CraftedCertificate Cert, byte[] Subkey) Typical(int version = 4, byte[]? uidSubpackets = null, byte[]? bindingSubpackets = null)
    {
        var primary = version == 4 ? CraftedKey.EdDsaV4(CraftedKey.T0) : CraftedKey.Ed25519V6(CraftedKey.T0);
        var cert = new CraftedCertificate(primary);
        byte[] prefs = [.. CraftedKey.Flags(KeyFlags.Certify | KeyFlags.Sign), .. CraftedKey.Sub(11, [9, 7]), .. CraftedKey.Sub(30, [0x01])];
        if (version == 6)
            cert.SignDirect(SignatureType.DirectKey, prefs);
        cert.AddUserId("Crafted <Crafted@Example.org>").SignUserId("Crafted <Crafted@Example.org>", uidSubpackets ?? (version == 4 ? prefs : []));
        byte[] sub = version == 4 ? CraftedKey.EcdhV4(CraftedKey.T0.AddDays(1)) : CraftedKey.X25519V6(CraftedKey.T0.AddDays(1));
        cert.AddSubkey(sub).SignSubkey(sub, bindingSubpackets ?? CraftedKey.Flags(KeyFlags.EncryptCommunications | KeyFlags.EncryptStorage));
        return (cert, sub);
    }
}
