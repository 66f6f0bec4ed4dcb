using System.Text;

namespace Mailseal.Testing;

/// <summary>
/// A private GnuPG home directory for one test or one key: every gpg call runs with
/// <c>--homedir H --batch --no-tty --pinentry-mode loopback --passphrase ''</c>, so nothing
/// prompts and nothing touches the user's keyring. Dispose always runs
/// <c>gpgconf --homedir H --kill all</c> (the agent gpg started) and deletes the directory.
/// </summary>
public sealed class GnuPgHome : IDisposable
{
    private bool _disposed;

    private GnuPgHome(string path) => Path = path;

    /// <summary>The home directory (mode 0700, under the system temp directory).</summary>
    public string Path { get; }

    /// <summary>Timeout for each gpg call.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Creates an empty home; fails at once with the install hint when gpg is missing.</summary>
    public static GnuPgHome Create()
    {
        ProgramLocator.Require("gpg");
        ProgramLocator.Require("gpgconf");

        // Short path: the agent's socket lives here and unix socket paths are limited to 107 bytes.
        return new GnuPgHome(Directory.CreateTempSubdirectory("msgpg-").FullName);
    }

    /// <summary>Runs gpg in this home with the batch options in front of <paramref name="arguments"/>.</summary>
    public Task<ProcessResult> RunAsync(IEnumerable<string> arguments, Stream? stdin = null, Stream? stdout = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        string[] all = ["--homedir", Path, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", .. arguments];
        return ProcessRunner.RunAsync(new ProcessRequest("gpg", all) { Stdin = stdin, StdoutSink = stdout, Timeout = Timeout }, cancellationToken);
    }

    /// <summary>
    /// Generates an unprotected key: a primary key of <paramref name="primaryAlgorithm"/> (certify and
    /// sign) and, when <paramref name="subkeyAlgorithm"/> is given, an encryption subkey of it. Algorithm
    /// names are gpg's (rsa3072, ed25519, cv25519, nistp256, brainpoolP256r1, dsa2048, elg2048).
    /// </summary>
    /// <returns>The primary key's fingerprint (upper-case hex).</returns>
    public async Task<string> GenerateKeyAsync(string userId, string primaryAlgorithm, string? subkeyAlgorithm, CancellationToken cancellationToken = default)
    {
        string usage = subkeyAlgorithm is null ? "default" : "cert,sign";
        (await RunAsync(["--quick-gen-key", userId, primaryAlgorithm, usage, "never"], cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        string fingerprint = (await FingerprintsAsync(userId, cancellationToken).ConfigureAwait(false))[0];
        if (subkeyAlgorithm is not null)
            (await RunAsync(["--quick-add-key", fingerprint, subkeyAlgorithm, "encr", "never"], cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        return fingerprint;
    }

    /// <summary>Imports keys (public or secret) from a file.</summary>
    public async Task ImportAsync(string file, CancellationToken cancellationToken = default) =>
        (await RunAsync(["--import", file], cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSuccess();

    /// <summary>Writes the armored certificate (public key) of <paramref name="fingerprint"/> to <paramref name="file"/>.</summary>
    public async Task ExportPublicAsync(string fingerprint, string file, CancellationToken cancellationToken = default) =>
        await ExportAsync("--export", fingerprint, file, cancellationToken).ConfigureAwait(false);

    /// <summary>Writes the armored, unprotected secret key of <paramref name="fingerprint"/> to <paramref name="file"/>.</summary>
    public async Task ExportSecretAsync(string fingerprint, string file, CancellationToken cancellationToken = default) =>
        await ExportAsync("--export-secret-keys", fingerprint, file, cancellationToken).ConfigureAwait(false);

    /// <summary>The primary fingerprints of the keys matching <paramref name="query"/> in this home (or of the certificates in a file with <c>--show-keys</c>).</summary>
    public async Task<IReadOnlyList<string>> FingerprintsAsync(string query, CancellationToken cancellationToken = default) =>
        ParsePrimaryFingerprints((await RunAsync(["--with-colons", "--list-keys", query], cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSuccess());

    /// <summary>The primary fingerprints of the certificates in <paramref name="file"/>, as gpg reads them.</summary>
    public async Task<IReadOnlyList<string>> ShowKeysAsync(string file, CancellationToken cancellationToken = default) =>
        ParsePrimaryFingerprints((await RunAsync(["--with-colons", "--show-keys", file], cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSuccess());

    /// <summary>Kills the home's agent and deletes the directory.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            ProcessRunner.RunAsync(new ProcessRequest("gpgconf", ["--homedir", Path, "--kill", "all"]) { Timeout = TimeSpan.FromSeconds(20) })
                .ConfigureAwait(false).GetAwaiter().GetResult();
        }
        finally
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // The agent may remove its socket while we delete; a leftover temp dir is harmless.
            }
        }
    }

    private async Task ExportAsync(string command, string fingerprint, string file, CancellationToken cancellationToken)
    {
        var result = (await RunAsync(["--armor", command, fingerprint], cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        if (result.Stdout.Length == 0)
            throw new OracleException($"`{result.CommandLine}` wrote nothing: no key {fingerprint} in {Path}");
        await File.WriteAllBytesAsync(file, result.Stdout, cancellationToken).ConfigureAwait(false);
    }

    private static string[] ParsePrimaryFingerprints(ProcessResult result)
    {
        // --with-colons: a "pub" (or "sec") record is followed by its "fpr" record; subkeys ("sub") likewise.
        var fingerprints = new List<string>();
        bool afterPrimary = false;
        foreach (string line in Encoding.UTF8.GetString(result.Stdout).Split('\n'))
        {
            string[] fields = line.Split(':');
            if (fields[0] is "pub" or "sec")
            {
                afterPrimary = true;
            }
            else if (fields[0] == "fpr" && afterPrimary && fields.Length > 9)
            {
                fingerprints.Add(fields[9]);
                afterPrimary = false;
            }
            else if (fields[0] is "sub" or "ssb")
            {
                afterPrimary = false;
            }
        }

        return fingerprints.Count > 0
            ? fingerprints.ToArray()
            : throw new OracleException($"`{result.CommandLine}` listed no key");
    }
}
