namespace Mailseal.Core.OpenPgp;

/// <summary>Maps the OID octets (DER body, no tag or length) of RFC 9580 section 9.2 to curves.</summary>
internal static class CurveOids
{
    public static EllipticCurve Identify(ReadOnlySpan<byte> oid)
    {
        if (oid.SequenceEqual(new byte[] { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 }))
            return EllipticCurve.NistP256;
        if (oid.SequenceEqual(new byte[] { 0x2B, 0x81, 0x04, 0x00, 0x22 }))
            return EllipticCurve.NistP384;
        if (oid.SequenceEqual(new byte[] { 0x2B, 0x81, 0x04, 0x00, 0x23 }))
            return EllipticCurve.NistP521;
        if (oid.SequenceEqual(new byte[] { 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07 }))
            return EllipticCurve.BrainpoolP256r1;
        if (oid.SequenceEqual(new byte[] { 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0B }))
            return EllipticCurve.BrainpoolP384r1;
        if (oid.SequenceEqual(new byte[] { 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0D }))
            return EllipticCurve.BrainpoolP512r1;
        if (oid.SequenceEqual(new byte[] { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 }))
            return EllipticCurve.Ed25519Legacy;
        if (oid.SequenceEqual(new byte[] { 0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01 }))
            return EllipticCurve.Curve25519Legacy;
        return EllipticCurve.Unknown;
    }

    /// <summary>Field size in octets of a Weierstrass curve (for point and signature widths).</summary>
    public static int FieldBytes(EllipticCurve curve) => curve switch
    {
        EllipticCurve.NistP256 or EllipticCurve.BrainpoolP256r1 => 32,
        EllipticCurve.NistP384 or EllipticCurve.BrainpoolP384r1 => 48,
        EllipticCurve.NistP521 => 66,
        EllipticCurve.BrainpoolP512r1 => 64,
        _ => 0,
    };

    public static string Name(EllipticCurve curve) => curve switch
    {
        EllipticCurve.NistP256 => "NIST P-256",
        EllipticCurve.NistP384 => "NIST P-384",
        EllipticCurve.NistP521 => "NIST P-521",
        EllipticCurve.BrainpoolP256r1 => "brainpoolP256r1",
        EllipticCurve.BrainpoolP384r1 => "brainpoolP384r1",
        EllipticCurve.BrainpoolP512r1 => "brainpoolP512r1",
        EllipticCurve.Ed25519Legacy => "Ed25519Legacy",
        EllipticCurve.Curve25519Legacy => "Curve25519Legacy",
        _ => "unknown curve",
    };
}
