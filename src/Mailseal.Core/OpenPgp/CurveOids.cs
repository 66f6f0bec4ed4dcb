using System.Globalization;
using System.Security.Cryptography;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// The one table of curves that ECDH, ECDSA and EdDSALegacy keys name by OID (RFC 9580 section 9.2),
/// used by the certificate reader and by the encryptor alike.
/// </summary>
internal static class CurveOids
{
    private static readonly CurveInfo[] Known =
    [
        new(EllipticCurve.NistP256, "NIST P-256", [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07], ECCurve.NamedCurves.nistP256, 32),
        new(EllipticCurve.NistP384, "NIST P-384", [0x2B, 0x81, 0x04, 0x00, 0x22], ECCurve.NamedCurves.nistP384, 48),
        new(EllipticCurve.NistP521, "NIST P-521", [0x2B, 0x81, 0x04, 0x00, 0x23], ECCurve.NamedCurves.nistP521, 66),
        new(EllipticCurve.BrainpoolP256r1, "brainpoolP256r1", [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07], ECCurve.NamedCurves.brainpoolP256r1, 32),
        new(EllipticCurve.BrainpoolP384r1, "brainpoolP384r1", [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B], ECCurve.NamedCurves.brainpoolP384r1, 48),
        new(EllipticCurve.BrainpoolP512r1, "brainpoolP512r1", [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D], ECCurve.NamedCurves.brainpoolP512r1, 64),
        new(EllipticCurve.Ed25519Legacy, "Ed25519Legacy", [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01], null, 32),
        new(EllipticCurve.Curve25519Legacy, "Curve25519Legacy", [0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01], null, 32),
    ];

    /// <summary>The curve with these OID octets, or null when Mailseal does not know it.</summary>
    public static CurveInfo? Find(ReadOnlySpan<byte> oid)
    {
        foreach (var curve in Known)
        {
            if (oid.SequenceEqual(curve.Oid))
                return curve;
        }

        return null;
    }

    /// <summary>The curve with these OID octets, or <see cref="EllipticCurve.Unknown"/>.</summary>
    public static EllipticCurve Identify(ReadOnlySpan<byte> oid) => Find(oid)?.Id ?? EllipticCurve.Unknown;

    /// <summary>The OID in dotted form, for messages about curves Mailseal does not know.</summary>
    public static string DottedOid(ReadOnlySpan<byte> oid)
    {
        if (oid.IsEmpty)
            return "(empty)";
        var parts = new List<string> { (oid[0] / 40).ToString(CultureInfo.InvariantCulture), (oid[0] % 40).ToString(CultureInfo.InvariantCulture) };
        ulong value = 0;
        for (int i = 1; i < oid.Length; i++)
        {
            value = (value << 7) | (uint)(oid[i] & 0x7F);
            if ((oid[i] & 0x80) == 0)
            {
                parts.Add(value.ToString(CultureInfo.InvariantCulture));
                value = 0;
            }
        }

        return string.Join('.', parts);
    }
}
