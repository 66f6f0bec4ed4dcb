using System.Text;
using System.Text.Json;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>Keys from Sequoia, RNP and OpenPGP.js (v6), and RFC 9580's own samples.</summary>
public sealed class CertificateReaderOracleTests
{
    [Theory]
    [InlineData("cv25519", PublicKeyAlgorithm.Ecdh)]
    [InlineData("rsa3k", PublicKeyAlgorithm.Rsa)]
    public void Sequoia_key_reads(string suite, PublicKeyAlgorithm encryptionAlgorithm)
    {
        var dir = Directory.CreateTempSubdirectory("mailseal-sq-");
        try
        {
            string keyFile = Path.Combine(dir.FullName, "key.pgp");
            ExternalProgram.Run("sq", ["key", "generate", "--userid", "Sq User <Sq.User@Example.org>", "--cipher-suite", suite, "--export", keyFile]);
            byte[] cert = ExternalProgram.Run("sq", ["key", "extract-cert", keyFile]).Stdout;
            string inspect = ExternalProgram.Run("sq", ["inspect", keyFile]).StdoutText;
            string primaryFpr = Field(inspect, "Fingerprint:").Single();
            string[] subkeys = Field(inspect, "Subkey:");
            string encryptionFpr = SqEncryptionSubkey(inspect);

            var result = CertificateReader.Read(cert);
            Assert.Empty(result.Warnings);
            var c = Assert.Single(result.Certificates);
            Assert.Equal(primaryFpr, c.FingerprintHex);
            Assert.Equal(subkeys, c.Subkeys.Select(s => s.Key.FingerprintHex).ToArray());
            Assert.All(c.Subkeys, s => Assert.Null(s.Problem));
            Assert.Equal(["sq.user@example.org"], c.EmailAddresses);
            Assert.NotNull(c.Expires);
            var selection = c.SelectEncryptionKey(DateTimeOffset.UtcNow);
            Assert.True(selection.IsUsable, selection.Reason);
            Assert.Equal(encryptionFpr, selection.Recipient!.Key.FingerprintHex);
            Assert.Equal(encryptionAlgorithm, selection.Recipient.Key.Algorithm);

            // After the key's expiry sq set (3 years), nothing is usable, and the reason says when.
            var late = c.SelectEncryptionKey(c.Expires!.Value.AddDays(1));
            Assert.False(late.IsUsable);
            Assert.Equal($"key 0x{c.PrimaryKey.KeyIdHex} expired on {c.Expires.Value.UtcDateTime:yyyy-MM-dd}", late.Reason);

            // The secret key file itself is not a certificate: skipped with a warning, no secret read.
            var secret = CertificateReader.Read(File.ReadAllBytes(keyFile));
            Assert.Empty(secret.Certificates);
            Assert.Equal(["armored block \"PGP PRIVATE KEY BLOCK\" skipped: only public key blocks are read"], secret.Warnings);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(null, "RSA")]
    [InlineData("22", "EdDSA")]
    [InlineData("19", "ECDSA")]
    public void Rnp_key_reads(string? expertChoice, string primaryName)
    {
        var home = Directory.CreateTempSubdirectory("mailseal-rnp-");
        try
        {
            var args = new List<string> { "--homedir", home.FullName, "--generate-key", "--userid", "Rnp User <rnp@example.org>", "--password", "" };
            if (expertChoice is not null)
                args.Add("--expert");
            // Expert mode asks for the algorithm, then (for ECDSA) the curve: 1 = NIST P-256.
            ExternalProgram.Run("rnpkeys", args, stdin: expertChoice is null ? null : Encoding.ASCII.GetBytes(expertChoice + "\n1\n"));
            string listing = ExternalProgram.Run("rnpkeys", ["--homedir", home.FullName, "--list-keys"]).StdoutText;
            var lines = listing.Split('\n').Select(l => l.Trim()).ToArray();
            int pub = Array.FindIndex(lines, l => l.StartsWith("pub", StringComparison.Ordinal));
            int sub = Array.FindIndex(lines, l => l.StartsWith("sub", StringComparison.Ordinal) && l.Contains("[E]", StringComparison.Ordinal));
            Assert.Contains(primaryName, lines[pub], StringComparison.Ordinal);
            string primaryFpr = lines[pub + 1].ToUpperInvariant();
            string encryptionFpr = lines[sub + 1].ToUpperInvariant();
            byte[] exported = ExternalProgram.Run("rnpkeys", ["--homedir", home.FullName, "--export-key", "rnp@example.org"]).Stdout;

            var result = CertificateReader.Read(exported);
            Assert.Empty(result.Warnings);
            var c = Assert.Single(result.Certificates);
            Assert.Equal(primaryFpr, c.FingerprintHex);
            Assert.Equal(["rnp@example.org"], c.EmailAddresses);
            var selection = c.SelectEncryptionKey(DateTimeOffset.UtcNow);
            Assert.True(selection.IsUsable, selection.Reason);
            Assert.Equal(encryptionFpr, selection.Recipient!.Key.FingerprintHex);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    [Fact]
    public void Open_pgp_js_v6_key_reads()
    {
        const string script = """
            const openpgp = require('openpgp');
            (async () => {
              const { publicKey } = await openpgp.generateKey({ type: 'curve25519', config: { v6Keys: true },
                userIDs: [{ name: 'Js Six', email: 'Js.Six@Example.org' }], format: 'armored' });
              const key = await openpgp.readKey({ armoredKey: publicKey });
              const enc = await key.getEncryptionKey();
              process.stdout.write(JSON.stringify({ armored: publicKey, fpr: key.getFingerprint(),
                subkeys: key.getSubkeys().map(s => s.getFingerprint()), encryption: enc.getFingerprint() }));
            })().catch(e => { console.error(e); process.exit(1); });
            """;
        var output = ExternalProgram.Run("node", ["-e", script], workingDirectory: TestPaths.Oracles());
        using var json = JsonDocument.Parse(output.Stdout);
        var root = json.RootElement;

        var result = CertificateReader.Read(Encoding.UTF8.GetBytes(root.GetProperty("armored").GetString()!));
        Assert.Empty(result.Warnings);
        var c = Assert.Single(result.Certificates);
        Assert.Equal(6, c.PrimaryKey.Version);
        Assert.Equal(PublicKeyAlgorithm.Ed25519, c.PrimaryKey.Algorithm);
        Assert.Equal(root.GetProperty("fpr").GetString()!.ToUpperInvariant(), c.FingerprintHex);
        Assert.Equal(32, c.PrimaryKey.Fingerprint.Length);
        Assert.Equal(root.GetProperty("subkeys").EnumerateArray().Select(e => e.GetString()!.ToUpperInvariant()),
            c.Subkeys.Select(s => s.Key.FingerprintHex));
        Assert.Equal(["js.six@example.org"], c.EmailAddresses);
        var selection = c.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.True(selection.IsUsable, selection.Reason);
        Assert.Equal(root.GetProperty("encryption").GetString()!.ToUpperInvariant(), selection.Recipient!.Key.FingerprintHex);
        Assert.Equal(PublicKeyAlgorithm.X25519, selection.Recipient.Key.Algorithm);
        Assert.True(selection.Recipient.SupportsSeipdV2);
        Assert.Contains(SymmetricAlgorithm.Aes256, selection.Recipient.PreferredSymmetric);
    }

    [Fact]
    public void Rfc9580_sample_v6_certificate_reads_and_verifies()
    {
        var result = CertificateReader.Read(File.ReadAllBytes(TestPaths.OpenPgpData("rfc9580-a3-v6-certificate.asc")));
        Assert.Empty(result.Warnings);
        var c = Assert.Single(result.Certificates);
        Assert.Equal("CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9", c.FingerprintHex);
        Assert.Equal(6, c.PrimaryKey.Version);
        Assert.Empty(c.UserIds);
        var sub = Assert.Single(c.Subkeys);
        Assert.Equal("12C83F1E706F6308FE151A417743A1F033790E93E9978488D1DB378DA9930885", sub.Key.FingerprintHex);
        Assert.Null(sub.Problem);
        Assert.Equal(KeyFlags.EncryptCommunications | KeyFlags.EncryptStorage, sub.Flags);

        var selection = c.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.True(selection.IsUsable, selection.Reason);
        Assert.Equal(sub.Key.FingerprintHex, selection.Recipient!.Key.FingerprintHex);
        Assert.True(selection.Recipient.SupportsSeipdV2);
        // The sample's direct-key signature prefers AES-256, AES-128 and announces OCB suites.
        Assert.Equal(SymmetricAlgorithm.Aes256, selection.Recipient.PreferredSymmetric[0]);
        Assert.Equal((SymmetricAlgorithm.Aes256, AeadAlgorithm.Ocb), selection.Recipient.PreferredAeadCiphersuites[0]);
    }

    [Fact]
    public void Rfc9580_sample_v4_ed25519_legacy_key_reads_but_has_no_self_signature()
    {
        var result = CertificateReader.Read(File.ReadAllBytes(TestPaths.OpenPgpData("rfc9580-a1-v4-ed25519legacy.asc")));
        var c = Assert.Single(result.Certificates);
        Assert.Equal("C959BDBAFA32A2F89A153B678CFDE12197965A9A", c.FingerprintHex);
        Assert.Equal(PublicKeyAlgorithm.EdDsaLegacy, c.PrimaryKey.Algorithm);
        Assert.Equal("8CFDE12197965A9A", c.PrimaryKey.KeyIdHex);
        var selection = c.SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.False(selection.IsUsable);
        Assert.Equal("key 0x8CFDE12197965A9A has no valid self-signature (no user id is certified by the key itself)", selection.Reason);
    }

    private static string[] Field(string inspect, string label) => inspect.Split('\n')
        .Select(l => l.Trim())
        .Where(l => l.StartsWith(label, StringComparison.Ordinal))
        .Select(l => l[label.Length..].Trim())
        .ToArray();

    /// <summary>The subkey sq inspect lists with "transport encryption" in its key flags.</summary>
    private static string SqEncryptionSubkey(string inspect)
    {
        string? current = null;
        foreach (var raw in inspect.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("Subkey:", StringComparison.Ordinal))
                current = line["Subkey:".Length..].Trim();
            if (line.StartsWith("Key flags:", StringComparison.Ordinal) && line.Contains("transport encryption", StringComparison.Ordinal) && current is not null)
                return current;
        }

        throw new InvalidOperationException("sq inspect shows no encryption subkey: " + inspect);
    }
}
