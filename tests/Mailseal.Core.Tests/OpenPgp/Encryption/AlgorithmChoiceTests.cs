using Mailseal.Core.OpenPgp;
using Mailseal.Core.OpenPgp.Encryption;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>Which cipher and which SEIPD version the encryptor picks for a set of recipients.</summary>
public sealed class AlgorithmChoiceTests
{
    private static readonly SymmetricAlgorithm[] Gpg22 = [SymmetricAlgorithm.Aes256, SymmetricAlgorithm.Aes192, SymmetricAlgorithm.Aes128, SymmetricAlgorithm.Cast5, SymmetricAlgorithm.TripleDes];

    [Fact]
    public void Aes256_when_every_recipient_lists_it()
    {
        var plan = new PgpEncryptor().Plan([SyntheticKeys.Recipient(SyntheticKeys.X25519(), Gpg22), SyntheticKeys.Recipient(SyntheticKeys.X25519(), [SymmetricAlgorithm.Aes128, SymmetricAlgorithm.Aes256])]);
        Assert.Equal(new PgpEncryptionPlan(SymmetricAlgorithm.Aes256, false), plan);
        Assert.Equal(3, plan.PkeskVersion);
    }

    [Fact]
    public void Aes128_when_one_recipient_does_not_list_aes256()
    {
        var plan = new PgpEncryptor().Plan([SyntheticKeys.Recipient(SyntheticKeys.X25519(), Gpg22), SyntheticKeys.Recipient(SyntheticKeys.X25519(), [SymmetricAlgorithm.Aes128])]);
        Assert.Equal(SymmetricAlgorithm.Aes128, plan.Cipher);
    }

    [Fact]
    public void A_recipient_without_preferences_counts_as_aes128_only()
    {
        var plan = new PgpEncryptor().Plan([SyntheticKeys.Recipient(SyntheticKeys.X25519(), Gpg22), SyntheticKeys.Recipient(SyntheticKeys.X25519(), [])]);
        Assert.Equal(SymmetricAlgorithm.Aes128, plan.Cipher);
    }

    [Fact]
    public void Aes128_is_the_fallback_even_for_a_recipient_listing_only_old_ciphers()
    {
        var plan = new PgpEncryptor().Plan([SyntheticKeys.Recipient(SyntheticKeys.X25519(), [SymmetricAlgorithm.Cast5, SymmetricAlgorithm.TripleDes])]);
        Assert.Equal(SymmetricAlgorithm.Aes128, plan.Cipher);
    }

    [Fact]
    public void Seipd_v2_only_when_every_recipient_supports_it()
    {
        var v2 = SyntheticKeys.Recipient(SyntheticKeys.X25519(), Gpg22, seipdV2: true);
        var v1 = SyntheticKeys.Recipient(SyntheticKeys.X25519(), Gpg22);
        var encryptor = new PgpEncryptor();
        Assert.True(encryptor.Plan([v2]).UseSeipdV2);
        Assert.Equal(6, encryptor.Plan([v2]).PkeskVersion);
        Assert.False(encryptor.Plan([v2, v1]).UseSeipdV2);
    }

    [Fact]
    public void An_elgamal_recipient_keeps_the_message_on_seipd_v1()
    {
        byte[] material = [0x00, 0x09, 0x01, 0x01, 0x00, 0x02, 0x02, 0x00, 0x02, 0x03];
        var elgamal = SyntheticKeys.Recipient(SyntheticKeys.Key(PublicKeyAlgorithm.ElGamal, material), [SymmetricAlgorithm.Aes256], seipdV2: true);
        var v6 = SyntheticKeys.Recipient(SyntheticKeys.X25519(version: 6), [SymmetricAlgorithm.Aes256]);
        Assert.False(new PgpEncryptor().Plan([v6, elgamal]).UseSeipdV2);
    }

    [Fact]
    public void A_v6_key_always_supports_seipd_v2_unless_the_options_forbid_it()
    {
        var v6 = SyntheticKeys.Recipient(SyntheticKeys.X25519(version: 6), [SymmetricAlgorithm.Aes256]);
        Assert.True(new PgpEncryptor().Plan([v6]).UseSeipdV2);
        Assert.False(new PgpEncryptor(new PgpEncryptOptions { AllowSeipdV2 = false }).Plan([v6]).UseSeipdV2);
    }

    [Fact]
    public void Seipd_v2_takes_aes256_from_the_aead_ciphersuites_when_they_are_stated()
    {
        var encryptor = new PgpEncryptor();
        var ocb256 = SyntheticKeys.Recipient(SyntheticKeys.X25519(6), [SymmetricAlgorithm.Aes128], [(SymmetricAlgorithm.Aes256, AeadAlgorithm.Ocb)]);
        Assert.Equal(SymmetricAlgorithm.Aes256, encryptor.Plan([ocb256]).Cipher);
        var gcm256Only = SyntheticKeys.Recipient(SyntheticKeys.X25519(6), [SymmetricAlgorithm.Aes256], [(SymmetricAlgorithm.Aes256, AeadAlgorithm.Gcm)]);
        Assert.Equal(SymmetricAlgorithm.Aes128, encryptor.Plan([gcm256Only]).Cipher);
        var noSuites = SyntheticKeys.Recipient(SyntheticKeys.X25519(6), [SymmetricAlgorithm.Aes256]);
        Assert.Equal(SymmetricAlgorithm.Aes256, encryptor.Plan([noSuites]).Cipher);
    }

    [Fact]
    public void The_chosen_plan_is_what_is_written()
    {
        var recipient = SyntheticKeys.Recipient(SyntheticKeys.X25519(), [SymmetricAlgorithm.Aes128]);
        var output = new MemoryStream();
        new PgpEncryptor(new PgpEncryptOptions { Armor = false }).Encrypt(new MemoryStream([1, 2, 3]), output, [recipient]);
        var packets = TestPacketSplitter.Split(output.ToArray());
        Assert.Equal([1, 18], packets.Select(p => p.Tag));
        Assert.Equal(3, packets[0].Body[0]);
        Assert.Equal((byte)SymmetricAlgorithm.Aes128, packets[0].Body[10 + 32 + 1]);
        Assert.Equal(1, packets[1].Body[0]);
        // SEIPD v1 body: version, 18-octet prefix, literal packet (2 + 6 + 3), MDC (22).
        Assert.Equal(1 + 18 + 11 + 22, packets[1].Body.Length);
    }

    [Fact]
    public void No_recipients_is_an_argument_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PgpEncryptor().Encrypt(new MemoryStream(), new MemoryStream(), []));
        Assert.Contains("at least one recipient", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PgpEncryptor().OpenEncryptingStream(new MemoryStream(), []));
    }
}
