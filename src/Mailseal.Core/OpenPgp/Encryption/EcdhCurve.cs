using System.Security.Cryptography;

namespace Mailseal.Core.OpenPgp.Encryption;

/// <summary>The curves ECDH (algorithm 18) keys can name, by their OpenPGP OID octets (RFC 9580 section 9.2).</summary>
internal sealed class EcdhCurve
{
    private static readonly EcdhCurve[] Known =
    [
        new("NIST P-256", [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07], ECCurve.NamedCurves.nistP256, 32),
        new("NIST P-384", [0x2B, 0x81, 0x04, 0x00, 0x22], ECCurve.NamedCurves.nistP384, 48),
        new("NIST P-521", [0x2B, 0x81, 0x04, 0x00, 0x23], ECCurve.NamedCurves.nistP521, 66),
        new("brainpoolP256r1", [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07], ECCurve.NamedCurves.brainpoolP256r1, 32),
        new("brainpoolP384r1", [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B], ECCurve.NamedCurves.brainpoolP384r1, 48),
        new("brainpoolP512r1", [0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D], ECCurve.NamedCurves.brainpoolP512r1, 64),
        new("Curve25519Legacy", [0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01], null, 32),
    ];

    private EcdhCurve(string name, byte[] oid, ECCurve? weierstrass, int fieldOctets)
    {
        Name = name;
        Oid = oid;
        Weierstrass = weierstrass;
        FieldOctets = fieldOctets;
    }

    /// <summary>The name gpg and the RFC use.</summary>
    public string Name { get; }

    /// <summary>The OID octets as they appear in a key packet (without length or DER tag).</summary>
    public byte[] Oid { get; }

    /// <summary>The .NET curve for the short-Weierstrass curves; null for Curve25519Legacy.</summary>
    public ECCurve? Weierstrass { get; }

    /// <summary>Octets of one field element (an X or Y coordinate, or a Montgomery u).</summary>
    public int FieldOctets { get; }

    /// <summary>The curve with these OID octets, or null when Mailseal does not know it.</summary>
    public static EcdhCurve? FromOid(ReadOnlySpan<byte> oid)
    {
        foreach (var curve in Known)
        {
            if (oid.SequenceEqual(curve.Oid))
                return curve;
        }

        return null;
    }

    /// <summary>The OID in dotted form, for messages about curves Mailseal does not know.</summary>
    public static string DottedOid(ReadOnlySpan<byte> oid)
    {
        if (oid.IsEmpty)
            return "(empty)";
        var parts = new List<string> { (oid[0] / 40).ToString(System.Globalization.CultureInfo.InvariantCulture), (oid[0] % 40).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        ulong value = 0;
        for (int i = 1; i < oid.Length; i++)
        {
            value = (value << 7) | (uint)(oid[i] & 0x7F);
            if ((oid[i] & 0x80) == 0)
            {
                parts.Add(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                value = 0;
            }
        }

        return string.Join('.', parts);
    }
}
