using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>The usability rules on hand-made certificates: what no tool produces on request.</summary>
public sealed class CertificateRulesTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static Certificate ReadOne(byte[] data, out IReadOnlyList<string> warnings)
    {
        var result = CertificateReader.Read(data);
        warnings = result.Warnings;
        return Assert.Single(result.Certificates);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Typical_crafted_certificate_is_usable(int version)
    {
        var (cert, sub) = CraftedCertificate.Typical(version);
        var c = ReadOne(cert.Build(), out var warnings);
        Assert.Empty(warnings);
        Assert.Equal(version, c.PrimaryKey.Version);
        Assert.Equal(["crafted@example.org"], c.EmailAddresses);
        var selection = c.SelectEncryptionKey(Now);
        Assert.True(selection.IsUsable, selection.Reason);
        Assert.Equal(PublicKeyPacket.Parse(sub).FingerprintHex, selection.Recipient!.Key.FingerprintHex);
        Assert.Equal([SymmetricAlgorithm.Aes256, SymmetricAlgorithm.Aes128], selection.Recipient.PreferredSymmetric);
        Assert.Equal(version == 6, selection.Recipient.SupportsSeipdV2);
    }

    [Fact]
    public void V6_ed448_certificate_verifies()
    {
        var primary = CraftedKey.Ed448V6(CraftedKey.T0);
        byte[] sub = CraftedKey.X25519V6(CraftedKey.T0.AddDays(1));
        byte[] data = new CraftedCertificate(primary)
            .SignDirect(SignatureType.DirectKey, CraftedKey.Flags(KeyFlags.Certify))
            .AddSubkey(sub).SignSubkey(sub, CraftedKey.Flags(KeyFlags.EncryptCommunications), hash: HashAlgorithm.Sha512)
            .Build();
        var c = ReadOne(data, out var warnings);
        Assert.Empty(warnings);
        Assert.Equal(PublicKeyAlgorithm.Ed448, c.PrimaryKey.Algorithm);
        Assert.Null(c.Subkeys[0].Problem);
        Assert.True(c.SelectEncryptionKey(Now).IsUsable);

        // The same with one signature octet changed does not verify.
        data[^1] ^= 0x20;
        Assert.StartsWith($"subkey 0x{c.Subkeys[0].Key.KeyIdHex}: binding signature does not verify", ReadOne(data, out _).SelectEncryptionKey(Now).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HashAlgorithm.Sha3_256)]
    [InlineData(HashAlgorithm.Sha3_512)]
    [InlineData(HashAlgorithm.Sha512)]
    public void V6_signatures_over_sha3_and_sha2_verify(HashAlgorithm hash)
    {
        var primary = CraftedKey.Ed25519V6(CraftedKey.T0);
        byte[] sub = CraftedKey.X25519V6(CraftedKey.T0.AddDays(1));
        byte[] data = new CraftedCertificate(primary)
            .SignDirect(SignatureType.DirectKey, CraftedKey.Flags(KeyFlags.Certify))
            .AddSubkey(sub).SignSubkey(sub, CraftedKey.Flags(KeyFlags.EncryptStorage), hash: hash)
            .Build();
        var c = ReadOne(data, out _);
        Assert.Null(c.Subkeys[0].Problem);
        Assert.True(c.SelectEncryptionKey(Now).IsUsable);
    }

    [Fact]
    public void Forged_self_signature_flood_is_capped_by_max_signature_checks()
    {
        var (cert, sub) = CraftedCertificate.Typical();
        var primary = cert.Primary;
        var forger = CraftedKey.EdDsaV4(CraftedKey.T0);
        byte[] prefix = [.. CraftedKey.KeyFrame(primary.Body, 4), .. CraftedKey.KeyFrame(sub, 4)];
        // Newer than the real binding, naming the primary key as issuer, with a correct hash
        // prefix: each one costs a real signature check.
        for (int i = 0; i < 150; i++)
        {
            cert.Raw(forger.Sign(SignatureType.SubkeyBinding, prefix,
                [.. CraftedKey.Created(CraftedKey.T0.AddDays(10 + i)), .. primary.IssuerFingerprint(), .. CraftedKey.Flags(KeyFlags.EncryptCommunications)]));
        }

        byte[] data = cert.Build();
        var capped = CertificateReader.Read(data);
        Assert.Equal($"key 0x{primary.Packet.KeyIdHex}: more than 100 self-signatures; the rest were not checked (MaxSignatureChecks)", Assert.Single(capped.Warnings));
        Assert.False(capped.Certificates[0].SelectEncryptionKey(Now).IsUsable);

        var generous = CertificateReader.Read(data, new OpenPgpReadOptions { MaxSignatureChecks = 200 });
        Assert.Empty(generous.Warnings);
        Assert.True(generous.Certificates[0].SelectEncryptionKey(Now).IsUsable);
    }

    [Fact]
    public void Byte_order_mark_before_armor_is_ignored()
    {
        byte[] armored = File.ReadAllBytes(TestPaths.OpenPgpData("rfc9580-a3-v6-certificate.asc"));
        Assert.Single(CertificateReader.Read([0xEF, 0xBB, 0xBF, .. armored]).Certificates);
    }

    [Fact]
    public void Unknown_critical_subpacket_makes_the_binding_invalid_but_an_unknown_non_critical_one_does_not()
    {
        byte[] flags = CraftedKey.Flags(KeyFlags.EncryptCommunications);
        var (critical, _) = CraftedCertificate.Typical(bindingSubpackets: [.. flags, .. CraftedKey.Sub(100, [1, 2, 3], critical: true)]);
        var c = ReadOne(critical.Build(), out _);
        var sub = Assert.Single(c.Subkeys);
        Assert.Equal($"subkey 0x{sub.Key.KeyIdHex}: binding signature does not verify (the signature has an unknown critical subpacket 100)", sub.Problem);
        Assert.Equal(sub.Problem, c.SelectEncryptionKey(Now).Reason);

        var (plain, _) = CraftedCertificate.Typical(bindingSubpackets: [.. flags, .. CraftedKey.Sub(100, [1, 2, 3])]);
        Assert.True(ReadOne(plain.Build(), out _).SelectEncryptionKey(Now).IsUsable);

        // A critical notation is not understood either.
        var (notation, _) = CraftedCertificate.Typical(bindingSubpackets: [.. flags, .. CraftedKey.Sub(20, [0x80, 0, 0, 0, 0, 1, 0, 1, (byte)'a', (byte)'b'], critical: true)]);
        Assert.Contains("unknown critical subpacket 20", ReadOne(notation.Build(), out _).Subkeys[0].Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void V4_binding_without_key_flags_falls_back_to_the_algorithm()
    {
        // An ECDH subkey with no key flags subpacket: encryption-capable by algorithm, as gpg decides.
        var (ecdh, sub) = CraftedCertificate.Typical(bindingSubpackets: []);
        var c = ReadOne(ecdh.Build(), out _);
        Assert.False(c.Subkeys[0].FlagsStated);
        Assert.Equal(PublicKeyPacket.Parse(sub).KeyIdHex, c.SelectEncryptionKey(Now).Recipient!.Key.KeyIdHex);

        // An EdDSA subkey with no key flags can only sign: the certificate has no encryption key.
        var primary = CraftedKey.EdDsaV4(CraftedKey.T0);
        var signing = CraftedKey.EdDsaV4(CraftedKey.T0.AddDays(1));
        var cert = new CraftedCertificate(primary).AddUserId("S <s@example.org>").SignUserId("S <s@example.org>", [])
            .AddSubkey(signing.Body).SignSubkey(signing.Body, []);
        var s = ReadOne(cert.Build(), out _);
        Assert.Equal(KeyFlags.Sign | KeyFlags.Certify, s.Subkeys[0].Flags);
        Assert.Equal($"key 0x{s.PrimaryKey.KeyIdHex} has no encryption-capable subkey (sign-only)", s.SelectEncryptionKey(Now).Reason);
    }

    [Fact]
    public void Revoked_signing_subkey_is_not_blamed_for_missing_encryption()
    {
        var primary = CraftedKey.EdDsaV4(CraftedKey.T0);
        var signing = CraftedKey.EdDsaV4(CraftedKey.T0.AddDays(1));
        var cert = new CraftedCertificate(primary).AddUserId("S <s@example.org>").SignUserId("S <s@example.org>", [])
            .AddSubkey(signing.Body).SignSubkey(signing.Body, CraftedKey.Flags(KeyFlags.Sign))
            .SignSubkey(signing.Body, CraftedKey.Sub(29, [3]), SignatureType.SubkeyRevocation, created: CraftedKey.T0.AddDays(2));
        var c = ReadOne(cert.Build(), out _);
        Assert.True(c.Subkeys[0].IsRevoked);
        Assert.Equal($"key 0x{c.PrimaryKey.KeyIdHex} has no encryption-capable subkey (sign-only)", c.SelectEncryptionKey(Now).Reason);
    }

    [Fact]
    public void Subkey_flagged_for_encryption_but_unable_to_encrypt_is_refused()
    {
        var primary = CraftedKey.EdDsaV4(CraftedKey.T0);
        var signing = CraftedKey.EdDsaV4(CraftedKey.T0.AddDays(1));
        var cert = new CraftedCertificate(primary).AddUserId("S <s@example.org>").SignUserId("S <s@example.org>", [])
            .AddSubkey(signing.Body).SignSubkey(signing.Body, CraftedKey.Flags(KeyFlags.EncryptCommunications));
        var c = ReadOne(cert.Build(), out _);
        Assert.Equal($"subkey 0x{signing.Packet.KeyIdHex} is flagged for encryption but its algorithm (EdDsaLegacy) cannot encrypt", c.SelectEncryptionKey(Now).Reason);
    }

    [Fact]
    public void Md5_signatures_are_refused()
    {
        var primary = CraftedKey.EdDsaV4(CraftedKey.T0);
        byte[] sub = CraftedKey.EcdhV4(CraftedKey.T0);
        var cert = new CraftedCertificate(primary).AddUserId("M <m@example.org>").SignUserId("M <m@example.org>", [])
            .AddSubkey(sub).SignSubkey(sub, CraftedKey.Flags(KeyFlags.EncryptStorage), hash: HashAlgorithm.Md5);
        var c = ReadOne(cert.Build(), out _);
        Assert.EndsWith("binding signature does not verify (the signature uses the broken hash MD5)", c.Subkeys[0].Problem, StringComparison.Ordinal);

        var md5Uid = new CraftedCertificate(primary).AddUserId("M <m@example.org>").SignUserId("M <m@example.org>", [], hash: HashAlgorithm.Md5);
        var u = ReadOne(md5Uid.Build(), out _);
        Assert.False(u.UserIds[0].IsValid);
        Assert.Empty(u.EmailAddresses);
        Assert.Equal($"key 0x{u.PrimaryKey.KeyIdHex} has no valid self-signature (no user id is certified by the key itself)", u.SelectEncryptionKey(Now).Reason);
    }

    [Fact]
    public void Primary_user_id_and_preferences_come_from_the_flagged_user_id()
    {
        var primary = CraftedKey.EdDsaV4(CraftedKey.T0);
        byte[] sub = CraftedKey.EcdhV4(CraftedKey.T0);
        var cert = new CraftedCertificate(primary)
            .AddUserId("First <first@example.org>")
            .SignUserId("First <first@example.org>", [.. CraftedKey.Sub(25, [1]), .. CraftedKey.Sub(11, [7]), .. CraftedKey.Sub(30, [0x09]),
                .. CraftedKey.Sub(39, [9, 2, 7, 2])])
            .AddUserId("Second <second@example.org>")
            .SignUserId("Second <second@example.org>", [.. CraftedKey.Sub(11, [9])], created: CraftedKey.T0.AddDays(5))
            .AddSubkey(sub).SignSubkey(sub, CraftedKey.Flags(KeyFlags.EncryptCommunications));
        var c = ReadOne(cert.Build(), out _);
        Assert.Equal(["first@example.org", "second@example.org"], c.EmailAddresses);
        Assert.True(c.UserIds[0].IsPrimary);
        Assert.False(c.UserIds[1].IsPrimary);
        var r = c.SelectEncryptionKey(Now).Recipient!;
        Assert.Equal([SymmetricAlgorithm.Aes128], r.PreferredSymmetric);
        Assert.True(r.SupportsSeipdV2);
        Assert.Equal([(SymmetricAlgorithm.Aes256, AeadAlgorithm.Ocb), (SymmetricAlgorithm.Aes128, AeadAlgorithm.Ocb)], r.PreferredAeadCiphersuites);
    }

    [Fact]
    public void Revoked_user_id_loses_its_email_and_third_party_certifications_do_not_count()
    {
        var primary = CraftedKey.EdDsaV4(CraftedKey.T0);
        var stranger = CraftedKey.EdDsaV4(CraftedKey.T0);
        byte[] sub = CraftedKey.EcdhV4(CraftedKey.T0);
        var cert = new CraftedCertificate(primary)
            .AddUserId("Keep <keep@example.org>").SignUserId("Keep <keep@example.org>", [])
            .AddUserId("Old <old@example.org>").SignUserId("Old <old@example.org>", [])
            .SignUserId("Old <old@example.org>", CraftedKey.Sub(29, [32, .. "left the company"u8]), SignatureType.CertificationRevocation, created: CraftedKey.T0.AddDays(3))
            .AddUserId("Forged <forged@example.org>").SignUserId("Forged <forged@example.org>", [], signer: stranger)
            .AddSubkey(sub).SignSubkey(sub, CraftedKey.Flags(KeyFlags.EncryptCommunications));
        var c = ReadOne(cert.Build(), out _);
        Assert.Equal(["keep@example.org"], c.EmailAddresses);
        Assert.True(c.UserIds[1].IsRevoked);
        Assert.False(c.UserIds[1].IsValid);
        Assert.False(c.UserIds[2].IsValid);
        Assert.False(c.UserIds[2].IsRevoked);
        Assert.Equal(3, c.UserIds.Count);
        Assert.True(c.SelectEncryptionKey(Now).IsUsable);
    }

    [Fact]
    public void Direct_key_expiration_and_expired_binding_signature()
    {
        // Key expiry stated in a v4 direct-key signature: 10 days after creation.
        var primary = CraftedKey.EdDsaV4(CraftedKey.T0);
        var withDirect = new CraftedCertificate(primary).SignDirect(SignatureType.DirectKey, CraftedKey.Sub(9, CraftedKey.Time(DateTimeOffset.FromUnixTimeSeconds(10 * 86400))))
            .AddUserId("Crafted <Crafted@Example.org>").SignUserId("Crafted <Crafted@Example.org>", []);
        var c = ReadOne(withDirect.Build(), out _);
        Assert.Equal(CraftedKey.T0.AddDays(10), c.Expires);
        Assert.Equal($"key 0x{c.PrimaryKey.KeyIdHex} expired on 2024-01-11", c.SelectEncryptionKey(Now).Reason);

        // A binding signature that itself expires (signature expiration time, 30 days).
        var (expiring, sub) = CraftedCertificate.Typical(bindingSubpackets: [.. CraftedKey.Flags(KeyFlags.EncryptStorage), .. CraftedKey.Sub(3, CraftedKey.Time(DateTimeOffset.FromUnixTimeSeconds(30 * 86400)))]);
        var e = ReadOne(expiring.Build(), out _);
        Assert.True(e.SelectEncryptionKey(CraftedKey.T0.AddDays(20)).IsUsable);
        Assert.Equal($"subkey 0x{PublicKeyPacket.Parse(sub).KeyIdHex}: its binding signature expired on 2024-01-31", e.SelectEncryptionKey(Now).Reason);
    }

    [Fact]
    public void Unknown_packets_versions_and_algorithms_are_skipped_with_warnings()
    {
        var (cert, good) = CraftedCertificate.Typical();
        byte[] v5Subkey = [5, .. CraftedKey.Time(CraftedKey.T0), 25, 0, 0, 0, 32, .. new byte[32]];
        byte[] unknownAlgorithm = [4, .. CraftedKey.Time(CraftedKey.T0), 99, 1, 2, 3];
        cert.Raw(PacketBytes.New(40, [1, 2, 3]))
            .Raw(PacketBytes.New(2, [5, 1, 2, 3]))
            .AddSubkey(v5Subkey).Raw(PacketBytes.New(2, [4, 0x18, 22, 8, 0, 0, 0, 0, 0, 0]))
            .AddSubkey(unknownAlgorithm)
            .Raw(PacketBytes.New(17, [1, 2, 3]))
            .Raw(PacketBytes.New(2, [5, 1, 2, 3]));
        var c = ReadOne(cert.Build(), out var warnings);
        Assert.Equal(4, warnings.Count);
        Assert.Contains("a packet of unknown type 40", warnings[0], StringComparison.Ordinal);
        Assert.Contains("signature version 5 is not supported", warnings[1], StringComparison.Ordinal);
        Assert.Contains("subkey at offset", warnings[2], StringComparison.Ordinal);
        Assert.Contains("key packet version 5 is not supported (only 4 and 6)", warnings[2], StringComparison.Ordinal);
        Assert.Contains("skipped: unknown public-key algorithm 99", warnings[3], StringComparison.Ordinal);
        // Signatures after skipped components (the v5 subkey, the user attribute) are ignored with them.
        Assert.Single(c.Subkeys);
        Assert.Equal(PublicKeyPacket.Parse(good).KeyIdHex, c.SelectEncryptionKey(Now).Recipient!.Key.KeyIdHex);

        // A v5 primary key: the certificate is skipped, the next one still read.
        var (next, _) = CraftedCertificate.Typical();
        byte[] v5Primary = PacketBytes.New(6, [5, .. CraftedKey.Time(CraftedKey.T0), 27, 0, 0, 0, 32, .. new byte[32]]);
        var result = CertificateReader.Read([.. v5Primary, .. PacketBytes.New(13, "x"u8), .. next.Build()]);
        Assert.Single(result.Certificates);
        Assert.Equal("key at offset 0 skipped: key packet version 5 is not supported (only 4 and 6)", Assert.Single(result.Warnings));
    }

    [Fact]
    public void Count_limits_skip_with_warnings()
    {
        var (a, _) = CraftedCertificate.Typical();
        var (b, _) = CraftedCertificate.Typical();
        byte[] both = [.. a.Build(), .. b.Build()];
        Assert.Equal(2, CertificateReader.Read(both).Certificates.Count);

        var one = CertificateReader.Read(both, new OpenPgpReadOptions { MaxCertificatesPerFile = 1 });
        Assert.Single(one.Certificates);
        Assert.Equal("more than 1 certificates in the input (MaxCertificatesPerFile): the rest is skipped", Assert.Single(one.Warnings));

        var few = CertificateReader.Read(both, new OpenPgpReadOptions { MaxPacketsPerCertificate = 3 });
        Assert.Empty(few.Certificates);
        Assert.Equal(2, few.Warnings.Count);
        Assert.EndsWith("skipped: more than 3 packets (MaxPacketsPerCertificate)", few.Warnings[0], StringComparison.Ordinal);

        byte[] many = [.. Enumerable.Range(0, 10).SelectMany(_ => CraftedKey.Sub(100, [0]))];
        var (flooded, _) = CraftedCertificate.Typical(bindingSubpackets: [.. CraftedKey.Flags(KeyFlags.EncryptCommunications), .. many]);
        var limited = CertificateReader.Read(flooded.Build(), new OpenPgpReadOptions { MaxSubpackets = 8 });
        Assert.Contains("(MaxSubpackets)", Assert.Single(limited.Warnings), StringComparison.Ordinal);
        Assert.EndsWith("has no binding signature from the primary key", limited.Certificates[0].Subkeys[0].Problem, StringComparison.Ordinal);
    }
}
