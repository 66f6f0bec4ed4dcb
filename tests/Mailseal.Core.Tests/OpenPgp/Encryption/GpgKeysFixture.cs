using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>
/// Generates, once per test class, one GnuPG key of each kind the round trips need in a private
/// temporary home, and stops gpg-agent afterwards. Recipients come from `gpg --export` through
/// the real <see cref="CertificateReader"/> and its encryption key selection.
/// </summary>
public sealed class GpgKeysFixture : IDisposable
{
    /// <summary>The key kinds, as the test names them, with their gpg batch parameters.</summary>
    public static readonly IReadOnlyDictionary<string, string> KeyParameters = new Dictionary<string, string>
    {
        ["rsa2048"] = "Key-Type: RSA\nKey-Length: 2048\nSubkey-Type: RSA\nSubkey-Length: 2048\n",
        ["cv25519"] = "Key-Type: EDDSA\nKey-Curve: ed25519\nSubkey-Type: ECDH\nSubkey-Curve: cv25519\n",
        ["nistp256"] = "Key-Type: ECDSA\nKey-Curve: nistp256\nSubkey-Type: ECDH\nSubkey-Curve: nistp256\n",
        ["nistp384"] = "Key-Type: ECDSA\nKey-Curve: nistp384\nSubkey-Type: ECDH\nSubkey-Curve: nistp384\n",
        ["brainpoolP256r1"] = "Key-Type: ECDSA\nKey-Curve: brainpoolP256r1\nSubkey-Type: ECDH\nSubkey-Curve: brainpoolP256r1\n",
        ["elg2048"] = "Key-Type: DSA\nKey-Length: 2048\nSubkey-Type: ELG-E\nSubkey-Length: 2048\n",
    };

    /// <summary>More curves, checked with one message each rather than the whole matrix.</summary>
    public static readonly IReadOnlyDictionary<string, string> MoreCurves = new Dictionary<string, string>
    {
        ["nistp521"] = "Key-Type: ECDSA\nKey-Curve: nistp521\nSubkey-Type: ECDH\nSubkey-Curve: nistp521\n",
        ["brainpoolP384r1"] = "Key-Type: ECDSA\nKey-Curve: brainpoolP384r1\nSubkey-Type: ECDH\nSubkey-Curve: brainpoolP384r1\n",
        ["brainpoolP512r1"] = "Key-Type: ECDSA\nKey-Curve: brainpoolP512r1\nSubkey-Type: ECDH\nSubkey-Curve: brainpoolP512r1\n",
    };

    private readonly Dictionary<string, EncryptionRecipient> _recipients = [];
    private readonly Dictionary<string, PublicKeyPacket> _primaries = [];

    public GpgKeysFixture()
    {
        Home = OracleRunner.PrivateTempDirectory("mailseal-gpg-");
        var batch = new System.Text.StringBuilder();
        foreach (var (name, parameters) in KeyParameters.Concat(MoreCurves))
        {
            batch.Append(parameters);
            batch.Append($"Name-Real: Mailseal {name}\nName-Email: {name}@example.org\nExpire-Date: 0\n%no-protection\n%commit\n");
        }

        var batchFile = Path.Combine(Home, "keys.batch");
        File.WriteAllText(batchFile, batch.ToString());
        Gpg("--gen-key", batchFile);

        foreach (var name in KeyParameters.Keys.Concat(MoreCurves.Keys))
        {
            var read = CertificateReader.Read(Gpg("--export", $"{name}@example.org"));
            var certificate = Assert.Single(read.Certificates);
            var selection = certificate.SelectEncryptionKey(DateTimeOffset.UtcNow);
            _recipients[name] = selection.Recipient ?? throw new InvalidOperationException($"{name}: {selection.Reason}");
            _primaries[name] = certificate.PrimaryKey;
        }
    }

    /// <summary>The GnuPG home directory.</summary>
    public string Home { get; }

    /// <summary>The recipient (encryption subkey) of the named key.</summary>
    public EncryptionRecipient Recipient(string name) => _recipients[name];

    /// <summary>The primary (signing) key packet of the named key.</summary>
    public PublicKeyPacket Primary(string name) => _primaries[name];

    /// <summary>Runs gpg in this home; fails with gpg's stderr unless it exits 0.</summary>
    public byte[] Gpg(params string[] arguments) =>
        OracleRunner.RunChecked("gpg", ["--homedir", Home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", .. arguments]);

    /// <summary>Decrypts a ciphertext file with gpg; returns the raw result for the test to judge.</summary>
    public OracleRunner.Result Decrypt(string ciphertextFile) =>
        OracleRunner.Run("gpg", ["--homedir", Home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--decrypt", ciphertextFile]);

    public void Dispose()
    {
        OracleRunner.Run("gpgconf", ["--homedir", Home, "--kill", "all"]);
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // The agent's socket may vanish while we delete; what is left is in /tmp.
        }
    }
}
