namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// v6 keys (RFC 9580) from OpenPGP.js: Mailseal must encrypt with PKESK v6 + SEIPD v2 (AEAD),
/// and OpenPGP.js must decrypt byte-identically and report the packet it read as SEIPD v2.
/// OpenPGP.js decrypts AES-OCB in JavaScript at a few MB/s, so the 20 MB payload runs for the
/// Curve25519 key only (the bulk encryption does not depend on the key's algorithm); 1 MB is
/// already four 256 KiB AEAD chunks for both keys.
/// </summary>
public sealed class OpenPgpJsV6MatrixTests(OpenPgpJsV6Keys keys) : IClassFixture<OpenPgpJsV6Keys>
{
    public static TheoryData<string, int, string> Cases =>
        InteropMatrix.Cases(OpenPgpJsV6Keys.Specs, (spec, size) => size <= 1024 * 1024 || spec.Name == "js-v6-curve25519");

    public static TheoryData<string> KeyNames => InteropMatrix.Keys(OpenPgpJsV6Keys.Specs);

    [Theory]
    [MemberData(nameof(KeyNames))]
    public void Mailseal_reads_the_v6_certificate(string key)
    {
        var certificate = MailsealSide.ReadCertificate(keys.Key(key));

        Assert.Equal(6, certificate.PrimaryKey.Version);
        Assert.Contains(keys.Key(key).Spec.Email, certificate.EmailAddresses);
        var selection = certificate.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.True(selection.IsUsable, selection.Reason);
        Assert.True(selection.Recipient!.SupportsSeipdV2);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public Task OpenPgpJs_decrypts_what_Mailseal_encrypts_as_SEIPD_v2(string key, int size, string form) =>
        InteropMatrix.RunAsync(keys, key, size, form, (_, result) =>
            result.Stderr.Contains("seipd=2", StringComparison.Ordinal) ? null : $"expected SEIPD v2, OpenPGP.js read: {result.Stderr.Trim()}");
}
