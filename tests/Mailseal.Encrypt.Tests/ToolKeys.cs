using System.Text;

namespace Mailseal.Encrypt.Tests;

/// <summary>
/// A key folder for the tool tests: the demo key from examples/ (alice@example.org, whose
/// secret key gpg here can decrypt with), a key that expired, a sign-only key, and a file
/// that is not a key. All in a private temp folder, removed afterwards.
/// </summary>
public sealed class ToolKeys : IAsyncLifetime
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("mailseal-encrypt-tests.").FullName;

    public string KeyDir => Path.Combine(Dir, "keys");

    public string GnupgHome => Path.Combine(Dir, "gnupg");

    /// <summary>An empty configuration file, so no test reads the machine's /etc/mailseal/mailseal.conf.</summary>
    public string EmptyConfig => Path.Combine(Dir, "empty.conf");

    public string AliceFingerprint { get; private set; } = "";

    public Dictionary<string, string> Env => new() { ["GNUPGHOME"] = GnupgHome };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(KeyDir);
        await File.WriteAllTextAsync(EmptyConfig, "");
        Directory.CreateDirectory(GnupgHome);
        if (!OperatingSystem.IsLinux())
            throw new Xunit.Sdk.XunitException("these tests run on Linux");
        File.SetUnixFileMode(GnupgHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var examples = Path.Combine(ProgramLocator.RepositoryRoot(), "examples");
        File.Copy(Path.Combine(examples, "keys", "alice@example.org.asc"), Path.Combine(KeyDir, "alice@example.org.asc"));
        await Gpg(["--import", Path.Combine(examples, "alice-secret-key.asc")]);
        var list = Encoding.ASCII.GetString((await Gpg(["--list-keys", "--with-colons", "alice@example.org"])).Stdout);
        AliceFingerprint = list.Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];

        // Expired: made "in 2020" with a one-day lifetime. The faked clock runs on: a primary key
        // made across a second boundary is a second younger than its subkey, a "time conflict".
        await Gpg(["--faked-system-time", "20200101T000000", "--ignore-time-conflict", "--quick-gen-key", "Old <old@example.org>", "ed25519", "sign", "1d"]);
        var oldFpr = Encoding.ASCII.GetString((await Gpg(["--list-keys", "--with-colons", "old@example.org"])).Stdout)
            .Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
        await Gpg(["--faked-system-time", "20200101T000000", "--ignore-time-conflict", "--quick-add-key", oldFpr, "cv25519", "encr", "1d"]);
        await File.WriteAllBytesAsync(Path.Combine(KeyDir, "old@example.org.asc"), (await Gpg(["--armor", "--export", "old@example.org"])).Stdout);

        // Sign-only: no encryption-capable key at all.
        await Gpg(["--quick-gen-key", "Signer <signer@example.org>", "ed25519", "sign", "0"]);
        await File.WriteAllBytesAsync(Path.Combine(KeyDir, "signer@example.org.asc"), (await Gpg(["--armor", "--export", "signer@example.org"])).Stdout);

        await File.WriteAllTextAsync(Path.Combine(KeyDir, "broken@example.org.asc"), "this is not a key\n");
    }

    public async Task DisposeAsync()
    {
        try
        {
            await ToolProcess.RunAsync(ProgramLocator.Require("gpgconf"), ["--kill", "all"], null, Env);
        }
        finally
        {
            Directory.Delete(Dir, recursive: true);
        }
    }

    internal async Task<ToolProcess.Result> Gpg(string[] args, byte[]? stdin = null)
    {
        var r = await ToolProcess.RunAsync(ProgramLocator.Require("gpg"), ["--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", .. args], stdin, Env);
        Assert.True(r.Exit == 0, "gpg " + string.Join(' ', args) + ": " + r.Stderr);
        return r;
    }
}
