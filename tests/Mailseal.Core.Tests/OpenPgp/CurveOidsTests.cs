using Mailseal.Core.OpenPgp;
using Mailseal.Core.Tests.OpenPgp.Encryption;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>The one curve table and its point check, as the reader's key check uses them.</summary>
public sealed class CurveOidsTests
{
    private static readonly byte[] P256Oid = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    private static readonly byte[] Ed25519LegacyOid = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];

    [Fact]
    public void The_table_knows_each_curve_once_by_its_oid()
    {
        Assert.Equal(EllipticCurve.NistP256, CurveOids.Identify(P256Oid));
        Assert.Equal(EllipticCurve.Ed25519Legacy, CurveOids.Identify(Ed25519LegacyOid));
        Assert.Equal(EllipticCurve.Unknown, CurveOids.Identify([0x2B, 0x65, 0x6F]));
        Assert.Null(CurveOids.Find([]));
        Assert.Equal("1.3.101.111", CurveOids.DottedOid([0x2B, 0x65, 0x6F]));
        var p521 = CurveOids.Find([0x2B, 0x81, 0x04, 0x00, 0x23])!;
        Assert.Equal(66, p521.FieldOctets);
        Assert.Equal("NIST P-521", p521.Name);
    }

    [Fact]
    public void Points_must_have_their_curve_encoding()
    {
        var p256 = CurveOids.Find(P256Oid)!;
        Assert.True(p256.IsWellFormedPoint([0x04, .. new byte[64]]));
        Assert.False(p256.IsWellFormedPoint([0x02, .. new byte[64]]));
        Assert.False(p256.IsWellFormedPoint([0x04, .. new byte[63]]));
        Assert.False(p256.IsWellFormedPoint([]));
        var ed = CurveOids.Find(Ed25519LegacyOid)!;
        Assert.True(ed.IsWellFormedPoint([0x40, .. new byte[32]]));
        Assert.False(ed.IsWellFormedPoint([0x04, .. new byte[32]]));
    }

    [Fact]
    public void The_reader_key_check_words_point_problems()
    {
        var options = new OpenPgpReadOptions();
        byte[] badEcdsa = [8, .. P256Oid, 0x02, 0x03, 0x02, .. new byte[64]];
        Assert.Equal("ECDSA point is not an uncompressed point of its curve", KeyMaterialCheck.Problem(SyntheticKeys.Key(PublicKeyAlgorithm.Ecdsa, badEcdsa), options));
        byte[] ecdsaOnEd = [9, .. Ed25519LegacyOid, 0x01, 0x07, 0x40, .. new byte[32]];
        Assert.Equal("ECDSA on an unsupported curve", KeyMaterialCheck.Problem(SyntheticKeys.Key(PublicKeyAlgorithm.Ecdsa, ecdsaOnEd), options));
        byte[] badEd = [9, .. Ed25519LegacyOid, 0x01, 0x07, 0x41, .. new byte[32]];
        Assert.Equal("EdDSALegacy point is malformed", KeyMaterialCheck.Problem(SyntheticKeys.Key(PublicKeyAlgorithm.EdDsaLegacy, badEd), options));
        byte[] goodEd = [9, .. Ed25519LegacyOid, 0x01, 0x07, 0x40, .. new byte[32]];
        Assert.Null(KeyMaterialCheck.Problem(SyntheticKeys.Key(PublicKeyAlgorithm.EdDsaLegacy, goodEd), options));
        Assert.Equal("X448 key is not 56 octets", KeyMaterialCheck.Problem(SyntheticKeys.Key(PublicKeyAlgorithm.X448, new byte[55]), options));
    }
}
