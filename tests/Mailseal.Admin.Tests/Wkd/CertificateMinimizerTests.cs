using Mailseal.Admin.Wkd;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Admin.Tests.Wkd;

public class CertificateMinimizerTests
{
    [Fact]
    public void A_key_with_one_user_id_for_the_address_is_kept_byte_for_byte()
    {
        var data = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "keys", "alice.gpg"));
        var certificate = Assert.Single(CertificateReader.Read(data).Certificates);
        Assert.Equal(certificate.Encoded.ToArray(), CertificateMinimizer.ForAddress(certificate, "alice@example.org"));
    }

    [Fact]
    public void Other_user_ids_are_left_out_and_the_rest_still_verifies()
    {
        var data = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "keys", "alice.gpg"));
        var certificate = Assert.Single(CertificateReader.Read(data).Certificates);
        var minimal = CertificateMinimizer.ForAddress(certificate, "bob@example.org");
        var again = Assert.Single(CertificateReader.Read(minimal).Certificates);
        Assert.Empty(again.UserIds);
        Assert.Equal(certificate.FingerprintHex, again.FingerprintHex);
        Assert.Equal(certificate.Subkeys.Count, again.Subkeys.Count);
    }
}
