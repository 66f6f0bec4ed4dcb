using System.Security.Cryptography;

namespace Mailseal.Core.OpenPgp;

/// <summary>One curve a key packet can name by OID (RFC 9580 section 9.2): one row of <see cref="CurveOids"/>.</summary>
internal sealed class CurveInfo
{
    public CurveInfo(EllipticCurve id, string name, byte[] oid, ECCurve? weierstrass, int fieldOctets)
    {
        Id = id;
        Name = name;
        Oid = oid;
        Weierstrass = weierstrass;
        FieldOctets = fieldOctets;
    }

    /// <summary>Which curve this is.</summary>
    public EllipticCurve Id { get; }

    /// <summary>The name gpg and the RFC use.</summary>
    public string Name { get; }

    /// <summary>The OID octets as they appear in a key packet (DER body, without length or tag).</summary>
    public byte[] Oid { get; }

    /// <summary>The .NET curve for the short-Weierstrass curves; null for the two legacy 25519 curves.</summary>
    public ECCurve? Weierstrass { get; }

    /// <summary>Octets of one field element (an X or Y coordinate, or a Montgomery u / Edwards y).</summary>
    public int FieldOctets { get; }

    /// <summary>
    /// Whether a public point has this curve's encoding: 0x04 and both coordinates (uncompressed
    /// SEC1) on a Weierstrass curve, 0x40 and one native coordinate on the legacy 25519 curves
    /// (RFC 9580 section 11.2).
    /// </summary>
    public bool IsWellFormedPoint(ReadOnlySpan<byte> point) => Weierstrass is null
        ? point.Length == 1 + FieldOctets && point[0] == 0x40
        : point.Length == 1 + (2 * FieldOctets) && point[0] == 0x04;
}
