using System.Text;
using Mailseal.Core.Messages;
using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Messages;

public sealed class MessageClassifierTests
{
    // A real message (gpg, to the examples' alice key): the armor must decode to session key and encrypted data packets.
    internal const string Armor = "-----BEGIN PGP MESSAGE-----\nComment: https://gnupg.org\n\n"
        + "hF4D09QiIgOMvV8SAQdAwwXBvT4PuE/l+t9b6LJOmbxS8K3OMKaBtPrzW79DQzsw\n"
        + "swqU7568HEo0t23SYQDg3pk+31/g4y4i+gNE4ourQDw/y5M/nxWqPs7ywdmgVwsI\n"
        + "0j0B+SzRuN+ykHwqeqNWe7662Tyru15tXWBR6v5xiBNEZ75IkSsDeaDs0giSa+Pw\n"
        + "IQLfdn05wZmMpKwNVsq1\n=/abi\n-----END PGP MESSAGE-----\n";

    private static MessageClassification Classify(string message)
    {
        var bytes = Encoding.ASCII.GetBytes(message);
        var block = HeaderParser.Parse(bytes, MimeLimits.Default, out var consumed);
        return MessageClassifier.Classify(block, bytes.AsMemory(consumed), MimeLimits.Default);
    }

    [Theory]
    [InlineData("Content-Type: text/plain\n\n" + Armor, true, "inline PGP")]
    [InlineData("Content-Type: text/plain\n\n\n  \n" + Armor + "\n\n", true, "inline PGP")]
    [InlineData("Content-Type: text/plain\n\nhello\n" + Armor, false, "plaintext")]
    [InlineData("Content-Type: text/plain\n\n" + Armor + "footer\n", false, "plaintext")]
    [InlineData("Content-Type: text/plain\n\n-----BEGIN PGP MESSAGE-----\n\nnot base64!\n-----END PGP MESSAGE-----\n", false, "plaintext")]
    [InlineData("Content-Type: text/plain\n\n-----BEGIN PGP MESSAGE-----\n\n-----END PGP MESSAGE-----\n", false, "plaintext")]
    [InlineData("Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n" + Armor, false, "plaintext")]
    [InlineData("Content-Type: image/png\n\n" + Armor, false, "plaintext")]
    [InlineData("Content-Type: multipart/signed; boundary=s; protocol=\"application/pgp-signature\"\n\n--s\n\n" + Armor + "--s--\n", false, "signed: encrypted whole, signature intact")]
    [InlineData("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n" + Armor + "--e--\n", true, "PGP/MIME")]
    [InlineData("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e--\n", false, "plaintext")]
    [InlineData("Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--m\nContent-Type: application/octet-stream; name=encrypted.asc\n\n" + Armor + "--m--\n", true, "PGP/MIME mangled by Exchange")]
    [InlineData("Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--m\nContent-Type: application/octet-stream\n\n" + Armor, false, "plaintext")]
    [InlineData("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\nThis is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n" + Armor + "--e--\n\n", true, "PGP/MIME")]
    [InlineData("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n" + Armor + "--e--\nthe plan is on\n", false, "plaintext")]
    public void Only_bodies_that_hold_nothing_but_ciphertext_pass(string message, bool passes, string reason)
    {
        var c = Classify(message);
        Assert.Equal(passes, c.AlreadyEncrypted);
        Assert.Equal(reason, c.Reason);
    }

    [Fact]
    public void Text_after_a_closing_delimiter_on_its_line_is_plaintext()
    {
        // The scanner before MimeKit skipped such text unread and passed it in the clear; MimeKit's
        // reader hands over the delimiter line as written, and anything after "--e--" is refused.
        var c = Classify("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n"
            + "--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n"
            + Armor + "--e-- the plan is on\n");
        Assert.False(c.AlreadyEncrypted, c.Reason);
    }

    [Fact]
    public void Structure_beyond_the_depth_limit_is_encrypted_whole()
    {
        var sb = new StringBuilder("Content-Type: multipart/mixed; boundary=b0\n\n");
        for (var i = 1; i <= 40; i++)
            sb.Append("--b").Append(i - 1).Append("\nContent-Type: multipart/mixed; boundary=b").Append(i).Append("\n\n");
        sb.Append("--b40\nContent-Type: text/plain\n\n").Append(Armor);
        var c = Classify(sb.ToString());
        Assert.False(c.AlreadyEncrypted);
        Assert.Equal("encrypted whole: MIME depth over 32", c.Reason);
    }

    [Fact]
    public void Too_many_parts_is_encrypted_whole()
    {
        var sb = new StringBuilder("Content-Type: multipart/mixed; boundary=p\n\n");
        for (var i = 0; i < 1100; i++)
            sb.Append("--p\nContent-Type: text/plain\n\n").Append(Armor);
        sb.Append("--p--\n");
        Assert.Equal("encrypted whole: more than 1000 parts", Classify(sb.ToString()).Reason);
    }

    [Fact]
    public void A_preamble_longer_than_a_clients_note_is_plaintext()
    {
        var message = "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n" + new string('x', PreambleCheck.MaxBytes + 1)
            + "\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n" + Armor + "--e--\n";
        Assert.False(Classify(message).AlreadyEncrypted);
    }
}
