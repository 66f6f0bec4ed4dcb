using System.Security.Cryptography;
using Mailseal.Admin.Zone;

namespace Mailseal.Admin.Tests.Zone;

public class DkimKeyTests
{
    [Fact]
    public void A_private_key_gives_its_public_half_and_nothing_of_the_private_key()
    {
        using var rsa = RSA.Create(2048);
        string spki = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        string privatePem = rsa.ExportRSAPrivateKeyPem();

        DkimKey key = DkimKey.Parse(privatePem);

        Assert.Equal("rsa", key.KeyType);
        Assert.Equal(spki, key.PublicKey);
        Assert.Equal(spki, DkimKey.Parse(rsa.ExportSubjectPublicKeyInfoPem()).PublicKey);
        Assert.DoesNotContain(Convert.ToBase64String(rsa.ExportRSAPrivateKey()), key.RecordText, StringComparison.Ordinal);
    }

    [Fact]
    public void Opendkim_genkeys_txt_file_is_read()
    {
        const string text = "default._domainkey\tIN\tTXT\t( \"v=DKIM1; h=sha256; k=rsa; \"\n\t  \"p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu\" \"5Zx\" )  ; ----- DKIM key default for example.org\n";

        DkimKey key = DkimKey.Parse(text);

        Assert.Equal("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu5Zx", key.PublicKey);
        Assert.Equal("rsa", key.KeyType);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("\"v=DKIM1; p=not base64!\"")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    public void Something_else_is_refused(string text) =>
        Assert.Throws<FormatException>(() => DkimKey.Parse(text));

    [Fact]
    public void A_weak_rsa_key_is_refused()
    {
        using var rsa = RSA.Create(512);
        var e = Assert.Throws<FormatException>(() => DkimKey.Parse(rsa.ExportSubjectPublicKeyInfoPem()));
        Assert.Contains("512 bits", e.Message, StringComparison.Ordinal);
    }
}
