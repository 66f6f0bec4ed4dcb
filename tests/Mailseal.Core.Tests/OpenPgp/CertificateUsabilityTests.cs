using System.Globalization;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>Keys that must not be encrypted to, each with the reason an admin reads; gpg made every key and gpg agrees with each verdict.</summary>
public sealed class CertificateUsabilityTests
{
    [Fact]
    public void Sign_only_rsa_key_is_not_an_encryption_key()
    {
        using var gpg = new GpgHome();
        string fpr = gpg.Generate("Signer <signer@example.org>", "rsa2048", usage: "sign");
        Assert.Null(gpg.GpgEncryptionKeyId(fpr));
        var cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        Assert.Equal(["signer@example.org"], cert.EmailAddresses);
        var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.False(selection.IsUsable);
        Assert.Null(selection.Recipient);
        Assert.Equal($"key 0x{cert.PrimaryKey.KeyIdHex} has no encryption-capable subkey (sign-only)", selection.Reason);
    }

    [Fact]
    public void Expired_key_is_refused_with_its_expiry_date()
    {
        using var gpg = new GpgHome();
        string fpr = gpg.Generate("Old <old@example.org>", "ed25519", expire: "1y", fakedTime: "20200101T000000");
        gpg.AddKey(fpr, "cv25519", fakedTime: "20200101T000100");
        Assert.Null(gpg.GpgEncryptionKeyId(fpr));
        var pub = gpg.Colons(fpr).First(l => l[0] == "pub");
        Assert.Equal("e", pub[1]);
        var gpgExpiry = DateTimeOffset.FromUnixTimeSeconds(long.Parse(pub[6], CultureInfo.InvariantCulture));

        var cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        Assert.Equal(gpgExpiry, cert.Expires);
        var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.False(selection.IsUsable);
        Assert.Equal($"key 0x{cert.PrimaryKey.KeyIdHex} expired on {gpgExpiry.UtcDateTime:yyyy-MM-dd}", selection.Reason);
        Assert.Equal("2020-12-31", gpgExpiry.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

        // Before the expiry the same certificate was usable.
        Assert.True(cert.SelectEncryptionKey(new DateTimeOffset(2020, 6, 1, 0, 0, 0, TimeSpan.Zero)).IsUsable);
    }

    [Fact]
    public void Expired_encryption_subkey_is_passed_over_for_the_valid_one_beside_it()
    {
        using var gpg = new GpgHome();
        string fpr = gpg.Generate("Mixed <mixed@example.org>", "ed25519", fakedTime: "20200101T000000");
        gpg.AddKey(fpr, "cv25519", expire: "never", fakedTime: "20200101T000100");
        // Newer, so it would win, but expires 2021-06-01.
        gpg.AddKey(fpr, "cv25519", expire: "1y", fakedTime: "20200601T000000");
        string? gpgChoice = gpg.GpgEncryptionKeyId(fpr);
        var subs = gpg.Colons(fpr).Where(l => l[0] == "sub").ToList();
        Assert.Equal(subs[0][4], gpgChoice);
        Assert.Equal("e", subs[1][1]);

        var cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        var valid = cert.Subkeys.Single(s => s.Key.KeyIdHex == subs[0][4]);
        var expired = cert.Subkeys.Single(s => s.Key.KeyIdHex == subs[1][4]);
        Assert.Null(valid.Expires);
        Assert.Equal(new DateTimeOffset(2021, 6, 1, 0, 0, 0, TimeSpan.Zero), expired.Expires);

        var now = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.True(now.IsUsable, now.Reason);
        Assert.Equal(gpgChoice, now.Recipient!.Key.KeyIdHex);

        // While both were valid, the newer one was chosen, as gpg does.
        var then = cert.SelectEncryptionKey(new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(expired.Key.KeyIdHex, then.Recipient!.Key.KeyIdHex);
    }

    [Fact]
    public void Expired_only_encryption_subkey_names_the_subkey_and_date()
    {
        using var gpg = new GpgHome();
        string fpr = gpg.Generate("Lapsed <lapsed@example.org>", "ed25519", fakedTime: "20200101T000000");
        gpg.AddKey(fpr, "cv25519", expire: "2020-03-01", fakedTime: "20200101T000100");
        Assert.Null(gpg.GpgEncryptionKeyId(fpr));
        var cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        var sub = Assert.Single(cert.Subkeys);
        var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.Equal($"subkey 0x{sub.Key.KeyIdHex} expired on {sub.Expires!.Value.UtcDateTime:yyyy-MM-dd}", selection.Reason);
        Assert.StartsWith("2020-0", sub.Expires.Value.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Revoked_key_is_refused_with_the_revocation_reason()
    {
        using var gpg = new GpgHome(passphrase: "test-passphrase");
        string fpr = gpg.Generate("Gone <gone@example.org>", "ed25519");
        gpg.AddKey(fpr, "cv25519");
        gpg.Revoke(fpr, reasonCode: 1, reasonText: "laptop stolen");
        Assert.Equal("r", gpg.Colons(fpr).First(l => l[0] == "pub")[1]);

        var cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        Assert.True(cert.IsRevoked);
        var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.False(selection.IsUsable);
        Assert.Equal($"key 0x{cert.PrimaryKey.KeyIdHex} is revoked (key compromised: laptop stolen)", selection.Reason);
    }

    [Fact]
    public void Revoked_key_from_gpgs_stored_revocation_certificate()
    {
        using var gpg = new GpgHome();
        string fpr = gpg.Generate("Gone <gone@example.org>", "ed25519");
        gpg.AddKey(fpr, "cv25519");
        // What an admin does with the certificate gpg stores at generation: remove the guard colon, import.
        string stored = File.ReadAllText(Path.Combine(gpg.Path, "openpgp-revocs.d", fpr + ".rev"));
        gpg.Import(System.Text.Encoding.ASCII.GetBytes(stored.Replace(":-----BEGIN", "-----BEGIN", StringComparison.Ordinal)));
        Assert.Null(gpg.GpgEncryptionKeyId(fpr));

        var cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.StartsWith($"key 0x{cert.PrimaryKey.KeyIdHex} is revoked (", selection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoked_subkey_is_refused_and_an_unrevoked_one_is_used()
    {
        using var gpg = new GpgHome(passphrase: "test-passphrase");
        string fpr = gpg.Generate("Half <half@example.org>", "ed25519", fakedTime: "20240101T000000");
        gpg.AddKey(fpr, "cv25519", fakedTime: "20240101T000100");
        gpg.AddKey(fpr, "cv25519", fakedTime: "20240201T000000");
        var subs = gpg.Colons(fpr).Where(l => l[0] == "sub").ToList();

        // Revoke the newer one: the older must now be chosen.
        gpg.Revoke(fpr, reasonCode: 3, reasonText: "", subkeyIndex: 2);
        Assert.Equal(subs[0][4], gpg.GpgEncryptionKeyId(fpr));
        var cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        var revoked = cert.Subkeys.Single(s => s.Key.KeyIdHex == subs[1][4]);
        Assert.True(revoked.IsRevoked);
        Assert.Equal($"subkey 0x{revoked.Key.KeyIdHex} is revoked (key retired)", revoked.Problem);
        Assert.Equal(subs[0][4], cert.SelectEncryptionKey(DateTimeOffset.UtcNow).Recipient!.Key.KeyIdHex);

        // Revoke the other one too: nothing is left, and the reason names both.
        gpg.Revoke(fpr, reasonCode: 1, reasonText: "", subkeyIndex: 1);
        Assert.Null(gpg.GpgEncryptionKeyId(fpr));
        cert = Assert.Single(CertificateReader.Read(gpg.Export(fpr)).Certificates);
        var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.False(selection.IsUsable);
        Assert.Equal($"key 0x{cert.PrimaryKey.KeyIdHex} has no usable encryption subkey: subkey 0x{subs[0][4]} is revoked (key compromised); subkey 0x{subs[1][4]} is revoked (key retired)",
            selection.Reason);
    }

    [Theory]
    [InlineData("ed25519", "cv25519")]
    [InlineData("rsa2048", "rsa2048")]
    [InlineData("nistp256", "nistp256")]
    public void Tampered_binding_signature_is_refused(string primary, string subkey)
    {
        using var gpg = new GpgHome();
        string fpr = gpg.Generate("Tampered <t@example.org>", primary);
        gpg.AddKey(fpr, subkey);
        byte[] data = gpg.Export(fpr);
        byte[] tampered = FlipLastByteOfSubkeyBinding(data);

        using (var fresh = new GpgHome())
        {
            fresh.Import(tampered);
            Assert.Null(fresh.GpgEncryptionKeyId(fpr));
        }

        var cert = Assert.Single(CertificateReader.Read(tampered).Certificates);
        var sub = Assert.Single(cert.Subkeys);
        Assert.StartsWith($"subkey 0x{sub.Key.KeyIdHex}: binding signature does not verify", sub.Problem, StringComparison.Ordinal);
        var selection = cert.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.False(selection.IsUsable);
        Assert.Equal(sub.Problem, selection.Reason);
        // The user id self-signature is untouched: the primary key is still fine.
        Assert.Equal(["t@example.org"], cert.EmailAddresses);
    }

    /// <summary>Flips the last octet of the subkey binding signature, which lies inside its last MPI.</summary>
    internal static byte[] FlipLastByteOfSubkeyBinding(byte[] data)
    {
        byte[] copy = (byte[])data.Clone();
        var reader = new PacketReader(copy, OpenPgpReadOptions.Default);
        bool afterSubkey = false;
        while (reader.TryRead(out var packet))
        {
            if (packet.Tag == (int)PacketTag.PublicSubkey)
                afterSubkey = true;
            else if (afterSubkey && packet.Tag == (int)PacketTag.Signature)
            {
                copy[packet.Offset + packet.EncodedLength - 1] ^= 0x01;
                return copy;
            }
        }

        throw new InvalidOperationException("no subkey binding signature found");
    }
}
