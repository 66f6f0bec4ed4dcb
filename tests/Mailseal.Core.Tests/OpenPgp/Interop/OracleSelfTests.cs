using System.Text;

namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// The oracles themselves, checked without Mailseal: what gpg encrypts, gpg, sqop and rnp
/// decrypt byte-identically, and garbage makes each fail with a non-zero exit and no output.
/// If these fail, the interop matrix's verdicts mean nothing.
/// </summary>
[Collection(InteropCollection.Name)]
public sealed class OracleSelfTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("msinterop-self-");

    [Fact]
    public async Task Every_v4_oracle_decrypts_what_gpg_encrypts_and_refuses_garbage()
    {
        using var factory = new OracleKeyFactory(_dir.FullName);
        var key = await factory.GenerateAsync(new KeySpec("self-cv25519", KeyGenerator.GnuPG, "ed25519", "cv25519"));
        byte[] payload = Encoding.UTF8.GetBytes("the oracles agree\n");
        string message = Path.Combine(_dir.FullName, "message.asc");
        using (var sender = GnuPgHome.Create())
        {
            await sender.ImportAsync(key.PublicKeyPath);
            var encrypted = (await sender.RunAsync(["--trust-model", "always", "--armor", "--encrypt", "--recipient", key.Fingerprint], new MemoryStream(payload))).EnsureSuccess();
            await File.WriteAllBytesAsync(message, encrypted.Stdout);
        }

        string garbage = Path.Combine(_dir.FullName, "garbage.asc");
        await File.WriteAllTextAsync(garbage, "-----BEGIN PGP MESSAGE-----\n\nnot a message\n-----END PGP MESSAGE-----\n");

        using var gpg = await GpgDecryptor.CreateAsync(key);
        using var rnp = await RnpDecryptor.CreateAsync(key);
        using var sqop = new SequoiaDecryptor(key);
        foreach (IDecryptionOracle oracle in new IDecryptionOracle[] { gpg, sqop, rnp })
        {
            using var good = new HashingSink();
            var result = await oracle.DecryptAsync(message, good);
            Assert.True(result.Succeeded, $"{oracle.Name}: {result.Describe()}");
            Assert.Equal(HashingSink.HashOf(payload), good.Sha256Hex);

            using var bad = new HashingSink();
            var refused = await oracle.DecryptAsync(garbage, bad);
            Assert.False(refused.TimedOut, $"{oracle.Name}: {refused.Describe()}");
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Equal(0, bad.BytesWritten);
        }
    }

    [Fact]
    public async Task Disposing_a_GnuPG_home_stops_its_agent_and_removes_it()
    {
        var home = GnuPgHome.Create();
        string path = home.Path;
        try
        {
            // Generating a key starts gpg-agent for this home.
            await home.GenerateKeyAsync("<agent@interop.test>", "ed25519", null);
            Assert.True(AgentRunningFor(path), "gpg-agent should have been started for " + path);
        }
        finally
        {
            home.Dispose();
        }

        Assert.False(Directory.Exists(path));
        Assert.False(AgentRunningFor(path, expected: false), "gpg-agent still runs for " + path);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private static bool AgentRunningFor(string home, bool expected = true)
    {
        // The agent starts and exits asynchronously: poll for the expected state. A busy CI
        // machine can take seconds to schedule the agent's exit, so the bound is generous; the
        // check returns as soon as the state is reached.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (ScanForAgent(home) == expected)
                return expected;
            Thread.Sleep(100);
        }

        return ScanForAgent(home);
    }

    private static bool ScanForAgent(string home)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains("gpg-agent", StringComparison.Ordinal) && cmdline.Contains(home, StringComparison.Ordinal))
                    return true;
            }
            catch (IOException)
            {
                // The process exited while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return false;
    }
}
