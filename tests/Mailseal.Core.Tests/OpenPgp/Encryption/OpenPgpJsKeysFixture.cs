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

    private readonly Dictionary<string, (string Dir, PublicKeyPacket Subkey, PublicKeyPacket Primary)> _keys = [];

    public OpenPgpJsKeysFixture()
    {
        Root = ExternalProgram.PrivateTempDirectory("mailseal-ojs-");
        Oracles = Path.Combine(ExternalProgram.RepositoryRoot(), "tests", "oracles");
        if (!Directory.Exists(Path.Combine(Oracles, "node_modules", "openpgp")))
            throw new InvalidOperationException($"OpenPGP.js is not installed in {Oracles}/node_modules (run tools/install-deps.sh)");
        foreach (var kind in AllKinds)
        {
            var dir = Path.Combine(Root, kind);
            Directory.CreateDirectory(dir);
            int dash = kind.LastIndexOf('-');
            ExternalProgram.RunChecked("node", [Path.Combine(Oracles, "openpgpjs-keygen.mjs"), kind[..dash], kind[(dash + 1)..], dir], Oracles);
            var packets = TestPacketSplitter.Split(File.ReadAllBytes(Path.Combine(dir, "public.pgp")));
            _keys[kind] = (dir, PublicKeyPacket.Parse(packets.Last(p => p.Tag == 14).Body), PublicKeyPacket.Parse(packets.First(p => p.Tag == 6).Body));
        }
    }

    /// <summary>Where the keys live.</summary>
    public string Root { get; }

    /// <summary>tests/oracles.</summary>
    public string Oracles { get; }

    /// <summary>The encryption subkey of a kind.</summary>
    public PublicKeyPacket Subkey(string kind) => _keys[kind].Subkey;

    /// <summary>
    /// A recipient for the kind's encryption subkey announcing SEIPD v2 with AES-256/OCB first, as
    /// an RFC 9580 implementation does (set for the v4 key too: a v4 key may get a v6 PKESK).
    /// </summary>
    public EncryptionRecipient Recipient(string kind) => new(
        _keys[kind].Subkey,
        _keys[kind].Primary.Fingerprint,
        [SymmetricAlgorithm.Aes256, SymmetricAlgorithm.Aes128],
        [(SymmetricAlgorithm.Aes256, AeadAlgorithm.Ocb), (SymmetricAlgorithm.Aes128, AeadAlgorithm.Ocb)],
        SupportsSeipdV2: true);

    /// <summary>Decrypts a message file with the kind's secret key.</summary>
    public ExternalProgram.Result Decrypt(string kind, string messageFile) =>
        ExternalProgram.Run("node", [Path.Combine(Oracles, "openpgpjs-decrypt.mjs"), Path.Combine(_keys[kind].Dir, "secret.asc"), messageFile], Oracles);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
