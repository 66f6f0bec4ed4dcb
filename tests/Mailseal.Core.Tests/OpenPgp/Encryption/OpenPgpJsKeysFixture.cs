using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>
/// Generates, once per test class, OpenPGP.js keys (v6 Curve25519, Curve448, RSA, NIST P-384 and
/// a v4 Curve25519 key) through tests/oracles/openpgpjs-keygen.mjs, and decrypts with
/// openpgpjs-decrypt.mjs: the oracle for SEIPD v2 and v6 keys, which gpg 2.2 cannot read.
/// </summary>
public sealed class OpenPgpJsKeysFixture : IDisposable
{
    /// <summary>Key kinds as "KIND-VERSION" for the SEIPD v2 matrix.</summary>
    public static readonly string[] Kinds = ["curve25519-v6", "curve448-v6", "rsa-v6", "nistP384-v6", "curve25519-v4"];

    /// <summary>Every kind generated: the matrix's and a v4 X448 key (v4 keys with the RFC 9580 native X25519/X448 algorithms).</summary>
    public static readonly string[] AllKinds = [.. Kinds, "curve448-v4"];

    private readonly Dictionary<string, (string Dir, EncryptionRecipient Recipient)> _keys = [];

    public OpenPgpJsKeysFixture()
    {
        Root = OracleRunner.PrivateTempDirectory("mailseal-ojs-");
        Oracles = Path.Combine(OracleRunner.RepositoryRoot(), "tests", "oracles");
        if (!Directory.Exists(Path.Combine(Oracles, "node_modules", "openpgp")))
            throw new InvalidOperationException($"OpenPGP.js is not installed in {Oracles}/node_modules (run tools/install-deps.sh)");
        foreach (var kind in AllKinds)
        {
            var dir = Path.Combine(Root, kind);
            Directory.CreateDirectory(dir);
            int dash = kind.LastIndexOf('-');
            OracleRunner.RunChecked("node", [Path.Combine(Oracles, "openpgpjs-keygen.mjs"), kind[..dash], kind[(dash + 1)..], dir], Oracles);
            var read = CertificateReader.Read(File.ReadAllBytes(Path.Combine(dir, "public.pgp")));
            var selection = Assert.Single(read.Certificates).SelectEncryptionKey(DateTimeOffset.UtcNow);
            _keys[kind] = (dir, selection.Recipient ?? throw new InvalidOperationException($"{kind}: {selection.Reason}"));
        }
    }

    /// <summary>Where the keys live.</summary>
    public string Root { get; }

    /// <summary>tests/oracles.</summary>
    public string Oracles { get; }

    /// <summary>The recipient the certificate reader selects for a kind, with the key's own preferences.</summary>
    public EncryptionRecipient Recipient(string kind) => _keys[kind].Recipient;

    /// <summary>Decrypts a message file with the kind's secret key.</summary>
    public OracleRunner.Result Decrypt(string kind, string messageFile) =>
        OracleRunner.Run("node", [Path.Combine(Oracles, "openpgpjs-decrypt.mjs"), Path.Combine(_keys[kind].Dir, "secret.asc"), messageFile], Oracles);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
