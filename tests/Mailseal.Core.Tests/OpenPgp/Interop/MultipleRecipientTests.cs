using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// One message to three recipients of different families (RSA by gpg, Curve25519 by sq, NIST
/// P-256 by rnp): each decrypts it in a GnuPG home holding only its own secret key, and with
/// sqop and rnp; a fourth, unrelated key cannot decrypt it. A v4 and a v6 recipient share one SEIPD v1 message.
/// </summary>
public sealed partial class MultipleRecipientTests(MultipleRecipientKeys keys) : IClassFixture<MultipleRecipientKeys>, IDisposable
{
    private static readonly string[] Recipients = ["multi-gpg-rsa3072", "multi-sq-cv25519", "multi-rnp-p256"];
    private const string Outsider = "multi-outsider";

    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(100 * 1024);
    private readonly string _message = Path.Combine(keys.WorkDirectory, $"multi-{Guid.NewGuid():N}.asc");

    [Fact]
    public async Task The_message_carries_one_session_key_per_recipient()
    {
        var recipients = Recipients.Select(name => MailsealSide.RecipientFor(keys.Key(name))).ToArray();
        MailsealSide.EncryptToFile(_payload, recipients, _message);

        // gpg lists the packets even without any secret key (and then exits non-zero: no secret key).
        using var empty = GnuPgHome.Create();
        var listing = await empty.RunAsync(["--list-packets", _message]);
        var keyIds = PkeskKeyId().Matches(Encoding.UTF8.GetString(listing.Stdout)).Select(m => m.Groups[1].Value.ToUpperInvariant()).ToList();

        Assert.Equal(recipients.Select(r => r.Key.KeyIdHex).Order(StringComparer.Ordinal), keyIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Each_recipient_decrypts_with_only_its_own_key_and_an_outsider_cannot()
    {
        MailsealSide.EncryptToFile(_payload, Recipients.Select(name => MailsealSide.RecipientFor(keys.Key(name))).ToArray(), _message);
        string expected = HashingSink.HashOf(_payload);

        foreach (string name in Recipients)
        {
            // Each key's oracles hold that key's secret only: a GnuPG home and an rnp home per key, sqop given one key file.
            foreach (var oracle in keys.Oracles(name))
            {
                using var sink = new HashingSink();
                var result = await oracle.DecryptAsync(_message, sink);
                Assert.True(result.Succeeded, $"{name} with {oracle.Name}: {result.Describe()}");
                Assert.Equal(expected, sink.Sha256Hex);
            }
        }

        foreach (var oracle in keys.Oracles(Outsider))
        {
            using var sink = new HashingSink();
            var result = await oracle.DecryptAsync(_message, sink);
            Assert.False(result.TimedOut, result.Describe());
            Assert.NotEqual(0, result.ExitCode);
            Assert.Equal(0, sink.BytesWritten);
            if (oracle is GpgDecryptor)
                Assert.Contains("No secret key", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_v4_and_a_v6_recipient_both_decrypt_one_message_in_SEIPD_v1()
    {
        // The v4 recipient does not announce SEIPD v2, so the message must fall back to v1 for both.
        MailsealSide.EncryptToFile(_payload, [MailsealSide.RecipientFor(keys.Key(Recipients[0])), MailsealSide.RecipientFor(keys.Key("multi-js-v6"))], _message);
        string expected = HashingSink.HashOf(_payload);

        foreach (var oracle in keys.Oracles(Recipients[0]).Append(keys.Oracles("multi-js-v6").Single()))
        {
            using var sink = new HashingSink();
            var result = await oracle.DecryptAsync(_message, sink);
            Assert.True(result.Succeeded, $"{oracle.Name}: {result.Describe()}");
            Assert.Equal(expected, sink.Sha256Hex);
            if (oracle is OpenPgpJsDecryptor)
                Assert.Contains("seipd=1", result.Stderr, StringComparison.Ordinal);
        }
    }

    public void Dispose() => File.Delete(_message);

    [GeneratedRegex(@"^:pubkey enc packet: version \d+, algo \d+, keyid ([0-9A-Fa-f]{16})", RegexOptions.Multiline)]
    private static partial Regex PkeskKeyId();
}
