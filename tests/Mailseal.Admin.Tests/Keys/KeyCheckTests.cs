using Mailseal.Admin.Keys;

namespace Mailseal.Admin.Tests.Keys;

public class KeyCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static byte[] Key(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "keys", name));

    [Fact]
    public void A_usable_key_that_names_the_address_is_accepted()
    {
        var certificate = KeyCheck.Accept(Key("alice.asc"), "alice@example.org", Now, allowOtherAddress: false);
        Assert.Equal(40, certificate.FingerprintHex.Length);
        Assert.Null(KeyCheck.EncryptionExpiry(certificate, Now));
    }

    [Fact]
    public void A_key_for_another_address_is_refused_unless_overridden()
    {
        var e = Assert.Throws<FormatException>(() => KeyCheck.Accept(Key("alice.asc"), "bob@example.org", Now, allowOtherAddress: false));
        Assert.Contains("no user id of the key names bob@example.org", e.Message, StringComparison.Ordinal);
        Assert.Contains("Alice <alice@example.org>", e.Message, StringComparison.Ordinal);
        Assert.NotNull(KeyCheck.Accept(Key("alice.asc"), "bob@example.org", Now, allowOtherAddress: true));
    }

    [Fact]
    public void Expired_and_sign_only_keys_are_refused_in_the_openpgp_layers_words()
    {
        var expired = Assert.Throws<FormatException>(() => KeyCheck.Accept(Key("bob-expired.asc"), "bob@example.org", Now, false));
        Assert.Contains("expired on 2026-11-23", expired.Message, StringComparison.Ordinal);
        var signOnly = Assert.Throws<FormatException>(() => KeyCheck.Accept(Key("signer-signonly.asc"), "signer@example.org", Now, false));
        Assert.Contains("sign-only", signOnly.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_that_is_not_a_key_is_refused()
    {
        Assert.Throws<FormatException>(() => KeyCheck.Accept("'; DROP TABLE users; --"u8.ToArray(), "alice@example.org", Now, false));
        Assert.Throws<FormatException>(() => KeyCheck.Accept(new byte[KeyCheck.MaxKeyBytes + 1], "alice@example.org", Now, false));
    }

    [Fact]
    public void The_armor_written_reads_back_as_the_same_certificate()
    {
        var certificate = KeyCheck.Accept(Key("alice.gpg"), "alice@example.org", Now, false);
        string armored = ArmorWriter.PublicKeyBlock(certificate.Encoded.Span);
        Assert.StartsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n", armored, StringComparison.Ordinal);
        var again = KeyCheck.Accept(System.Text.Encoding.ASCII.GetBytes(armored), "alice@example.org", Now, false);
        Assert.Equal(certificate.FingerprintHex, again.FingerprintHex);
        Assert.Equal(certificate.Encoded.ToArray(), again.Encoded.ToArray());
    }
}
