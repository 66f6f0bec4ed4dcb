using System.Text;
using Mailseal.Admin.Keys;
using Mailseal.Core.OpenPgp;
using Mailseal.Testing;

namespace Mailseal.Admin.Tests;

/// <summary>
/// <see cref="Count"/> keys made by GnuPG once for the bulk import tests (one gpg --gen-key run
/// with a parameter block per key: ed25519 with a cv25519 encryption subkey, no expiry), each
/// armored as <c>userN@bulk.example.asc</c>, plus a second key for user0.
/// </summary>
public sealed class BulkKeys : IAsyncLifetime
{
    public const int Count = 300;

    public const string Domain = "bulk.example";

    private readonly GnuPgHome _home = GnuPgHome.Create();

    /// <summary>Armored certificate by address.</summary>
    public Dictionary<string, string> Armored { get; } = new(StringComparer.Ordinal);

    /// <summary>Fingerprint by address.</summary>
    public Dictionary<string, string> Fingerprints { get; } = new(StringComparer.Ordinal);

    /// <summary>Another key for user0@bulk.example (a rotation).</summary>
    public string SecondUser0Armored { get; private set; } = string.Empty;

    public static string Address(int i) => $"user{i}@{Domain}";

    public async Task InitializeAsync()
    {
        var parameters = new StringBuilder("%no-protection\n");
        for (int i = 0; i <= Count; i++)
        {
            int n = i == Count ? 0 : i;
            parameters.Append("Key-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\nSubkey-Type: ECDH\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n")
                .Append(System.Globalization.CultureInfo.InvariantCulture, $"Name-Real: User {n}\nName-Email: {Address(n)}\nExpire-Date: 0\n%commit\n");
        }

        _home.Timeout = TimeSpan.FromMinutes(10);
        using var stdin = new MemoryStream(Encoding.ASCII.GetBytes(parameters.ToString()));
        (await _home.RunAsync(["--gen-key"], stdin)).EnsureSuccess();
        using var keyring = new MemoryStream();
        (await _home.RunAsync(["--export"], stdout: keyring)).EnsureSuccess();
        foreach (Certificate c in CertificateReader.Read(keyring.ToArray(), new OpenPgpReadOptions { MaxCertificatesPerFile = 2 * Count }).Certificates)
        {
            string address = c.EmailAddresses.Single();
            string armored = ArmorWriter.PublicKeyBlock(c.Encoded.Span);
            if (Armored.TryAdd(address, armored))
                Fingerprints[address] = c.FingerprintHex;
            else
                SecondUser0Armored = armored;
        }

        Assert.Equal(Count, Armored.Count);
        Assert.NotEmpty(SecondUser0Armored);
    }

    public Task DisposeAsync()
    {
        _home.Dispose();
        return Task.CompletedTask;
    }
}
