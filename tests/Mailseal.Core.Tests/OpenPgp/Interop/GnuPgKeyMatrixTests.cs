namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// The interoperability matrix for keys gpg generates: Mailseal encrypts 0 B to 20 MB to each;
/// gpg, sqop and rnp each decrypt byte-identically (Sequoia refuses brainpool and ElGamal cleanly).
/// </summary>
public sealed class GnuPgKeyMatrixTests(GnuPgKeys keys) : IClassFixture<GnuPgKeys>
{
    public static TheoryData<string, int, string> Cases => InteropMatrix.Cases(GnuPgKeys.Specs);

    public static TheoryData<string> KeyNames => InteropMatrix.Keys(GnuPgKeys.Specs);

    [Theory]
    [MemberData(nameof(KeyNames))]
    public void Mailseal_reads_the_certificate_as_gpg_does(string key)
    {
        var certificate = MailsealSide.ReadCertificate(keys.Key(key));

        Assert.Contains(keys.Key(key).Spec.Email, certificate.EmailAddresses);
        Assert.True(certificate.SelectEncryptionKey(DateTimeOffset.UtcNow).IsUsable);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Every_oracle_decrypts_what_Mailseal_encrypts(string key, int size, string form) =>
        InteropMatrix.RunAsync(keys, key, size, form);
}
