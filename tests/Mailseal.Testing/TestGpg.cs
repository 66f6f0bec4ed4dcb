using System.Diagnostics;
using System.Text;

namespace Mailseal.Testing;

/// <summary>
/// A private GnuPG home for one test: generates a key for an address and decrypts with it.
/// gpg is the oracle: what Mailseal encrypts must come back out of the real program.
/// </summary>
public sealed class TestGpg : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("mailseal-gpg").FullName;

    public TestGpg()
    {
        if (!File.Exists("/usr/bin/gpg"))
            throw new OracleException("gpg not found: run tools/install-deps.sh (Debian package gnupg)");
        File.SetUnixFileMode(_home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Generates an ed25519 key with a cv25519 encryption subkey; returns the armored certificate.</summary>
    public byte[] GenerateKey(string email)
    {
        Run(["--quick-gen-key", $"Test <{email}>", "ed25519", "default", "never"]);
        Run(["--quick-add-key", Fingerprint(email), "cv25519", "encr", "never"]);
        return Run(["--armor", "--export", email]).Stdout;
    }

    public (int Exit, byte[] Stdout, string Stderr) TryDecrypt(byte[] ciphertext) => Run(["--decrypt"], ciphertext, check: false);

    public byte[] Decrypt(byte[] ciphertext)
    {
        var (exit, stdout, stderr) = TryDecrypt(ciphertext);
        if (exit != 0)
            throw new OracleException("gpg --decrypt failed: " + stderr);
        return stdout;
    }

    private string Fingerprint(string email)
    {
        string listing = Encoding.UTF8.GetString(Run(["--with-colons", "--list-keys", email]).Stdout);
        return listing.Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
    }

    private (int Exit, byte[] Stdout, string Stderr) Run(string[] args, byte[]? stdin = null, bool check = true)
    {
        var psi = new ProcessStartInfo("gpg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--homedir", _home, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", "--trust-model", "always" }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
        var error = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
            p.StandardInput.BaseStream.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(60_000))
            throw new OracleException("gpg hung: " + string.Join(' ', args));
        copy.Wait();
        var result = (p.ExitCode, output.ToArray(), error.Result);
        if (check && p.ExitCode != 0)
            throw new OracleException($"gpg {string.Join(' ', args)} failed: {result.Item3}");
        return result;
    }

    public void Dispose()
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("gpgconf", ["--homedir", _home, "--kill", "all"]) { RedirectStandardError = true });
            kill?.WaitForExit(10_000);
        }
        finally
        {
            Directory.Delete(_home, recursive: true);
        }
    }
}
