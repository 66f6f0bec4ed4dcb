namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>The interoperability matrix for keys sq and rnp generate: gpg, sqop and rnp each decrypt byte-identically.</summary>
public sealed class SequoiaRnpKeyMatrixTests(SequoiaRnpKeys keys) : IClassFixture<SequoiaRnpKeys>
{
    public static TheoryData<string, int, string> Cases => InteropMatrix.Cases(SequoiaRnpKeys.Specs);

    public static TheoryData<string> KeyNames => InteropMatrix.Keys(SequoiaRnpKeys.Specs);

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
