using System.Text;
using Mailseal.Core.OpenPgp;
using Mailseal.Core.Tests.OpenPgp.Interop;

namespace Mailseal.Core.Tests.Messages;

/// <summary>
/// A fresh key pair made with gpg for alice@example.org (Ed25519 + Cv25519), and the three
/// oracles that must decrypt what the pipeline encrypts: GnuPG, RNP (Thunderbird's engine)
/// and Sequoia's sqop. Shared by the tests of one class; removed afterwards.
/// </summary>
public sealed class OracleKeys : IAsyncLifetime
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("mailseal-oracles.").FullName;

    public string GnupgHome => Path.Combine(Dir, "gnupg");

    public string RnpHome => Path.Combine(Dir, "rnp");

    public string SecretKeyFile => Path.Combine(Dir, "secret.asc");

    public byte[] PublicKey { get; private set; } = [];

    public string Fingerprint { get; private set; } = "";

    /// <summary>The recipient, read from the exported certificate by Mailseal's own certificate reader.</summary>
    public EncryptionRecipient Recipient { get; private set; } = null!;

    private Dictionary<string, string> Env => new() { ["GNUPGHOME"] = GnupgHome };

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
            throw new Xunit.Sdk.XunitException("the oracles run on Linux");
        Directory.CreateDirectory(GnupgHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(RnpHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await Gpg(["--quick-gen-key", "Alice Test <alice@example.org>", "ed25519", "sign", "0"]);
        var list = Encoding.ASCII.GetString((await Gpg(["--list-keys", "--with-colons", "alice@example.org"])).Stdout);
        Fingerprint = list.Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
        await Gpg(["--quick-add-key", Fingerprint, "cv25519", "encr", "0"]);
        PublicKey = (await Gpg(["--armor", "--export", Fingerprint])).Stdout;
        var selection = CertificateReader.Read(PublicKey).Certificates.Single().SelectEncryptionKey(DateTimeOffset.UtcNow);
        Assert.True(selection.IsUsable, selection.Reason);
        Recipient = selection.Recipient!;
        await File.WriteAllBytesAsync(SecretKeyFile, (await Gpg(["--armor", "--export-secret-keys", Fingerprint])).Stdout);
        var r = await RunAsync("rnpkeys", ["--homedir", RnpHome, "--import", SecretKeyFile]);
        Assert.True(r.ExitCode == 0, "rnpkeys --import: " + r.Stderr);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await RunAsync("gpgconf", ["--kill", "all"], environment: Env);
        }
        finally
        {
            Directory.Delete(Dir, recursive: true);
        }
    }

    private async Task<ProcessResult> Gpg(string[] args)
    {
        var r = await RunAsync("gpg", ["--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", "", .. args], environment: Env);
        Assert.True(r.ExitCode == 0, "gpg " + string.Join(' ', args) + ": " + r.Stderr);
        return r;
    }

    /// <summary>Decrypts an armored message with one oracle; fails the test if the oracle does.</summary>
    public async Task<byte[]> DecryptAsync(string oracle, byte[] armored)
    {
        var r = oracle switch
        {
            "gpg" => await RunAsync("gpg", ["--batch", "--quiet", "--decrypt"], armored, Env),
            "rnp" => await RunAsync("rnp", ["--homedir", RnpHome, "--decrypt", "--output=-"], armored),
            "sqop" => await RunAsync("sqop", ["decrypt", SecretKeyFile], armored),
            _ => throw new ArgumentOutOfRangeException(nameof(oracle)),
        };
        Assert.True(r.ExitCode == 0, $"{oracle} could not decrypt (exit {r.ExitCode}): {r.Stderr}");
        return r.Stdout;
    }

    private static async Task<ProcessResult> RunAsync(string program, string[] args, byte[]? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var input = stdin is null ? null : new MemoryStream(stdin);
        return await ProcessRunner.RunAsync(new ProcessRequest(program, args) { Stdin = input, Environment = environment, MaxCapturedStdout = Array.MaxLength });
    }
}
