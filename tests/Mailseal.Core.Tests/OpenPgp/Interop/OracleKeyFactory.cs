using System.Text;

namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>
/// Generates test keys with gpg, sq, rnp or OpenPGP.js into a directory: an armored certificate
/// and an unprotected armored secret key per key. The fingerprint of a v4 key is read back by
/// gpg (<c>--show-keys</c>), so every generator's output is also checked to be a key gpg parses.
/// </summary>
public sealed class OracleKeyFactory : IDisposable
{
    private readonly string _directory;
    private readonly SemaphoreSlim _scratchLock = new(1, 1);
    private GnuPgHome? _scratch;

    /// <summary>Keys are written into <paramref name="directory"/> (which should be private to the test run).</summary>
    public OracleKeyFactory(string directory) => _directory = directory;

    /// <summary>Timeout for one generator call (RSA-4096 takes a few seconds; a loaded CI machine more).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Generates one key.</summary>
    public async Task<OracleKey> GenerateAsync(KeySpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string secretPath = Path.Combine(_directory, spec.Name + ".secret.asc");
        string publicPath = Path.Combine(_directory, spec.Name + ".public.asc");
        string fingerprint = spec.Generator switch
        {
            KeyGenerator.GnuPG => await GenerateWithGpgAsync(spec, secretPath, publicPath, cancellationToken).ConfigureAwait(false),
            KeyGenerator.Sequoia => await GenerateWithSqAsync(spec, secretPath, publicPath, cancellationToken).ConfigureAwait(false),
            KeyGenerator.Rnp => await GenerateWithRnpAsync(spec, secretPath, publicPath, cancellationToken).ConfigureAwait(false),
            KeyGenerator.OpenPgpJs => await GenerateWithOpenPgpJsAsync(spec, secretPath, publicPath, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Generator, "unknown generator"),
        };
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(secretPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new OracleKey(spec, fingerprint, publicPath, secretPath);
    }

    /// <summary>Generates several keys, two at a time (the machine has two cores).</summary>
    public async Task<IReadOnlyList<OracleKey>> GenerateAllAsync(IEnumerable<KeySpec> specs, CancellationToken cancellationToken = default)
    {
        var list = specs.ToList();
        var keys = new OracleKey[list.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, list.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken },
            async (i, ct) => keys[i] = await GenerateAsync(list[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
        return keys;
    }

    /// <summary>Stops the scratch GnuPG home used to read fingerprints.</summary>
    public void Dispose()
    {
        _scratch?.Dispose();
        _scratchLock.Dispose();
    }

    private async Task<string> GenerateWithGpgAsync(KeySpec spec, string secretPath, string publicPath, CancellationToken cancellationToken)
    {
        using var home = GnuPgHome.Create();
        home.Timeout = Timeout;
        string fingerprint = await home.GenerateKeyAsync($"<{spec.Email}>", spec.Primary, spec.Subkey, cancellationToken).ConfigureAwait(false);
        await home.ExportSecretAsync(fingerprint, secretPath, cancellationToken).ConfigureAwait(false);
        await home.ExportPublicAsync(fingerprint, publicPath, cancellationToken).ConfigureAwait(false);
        return fingerprint;
    }

    private async Task<string> GenerateWithSqAsync(KeySpec spec, string secretPath, string publicPath, CancellationToken cancellationToken)
    {
        (await RunAsync("sq", ["key", "generate", "--userid", $"<{spec.Email}>", "--cipher-suite", spec.Primary, "--export", secretPath], null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        var cert = (await RunAsync("sq", ["key", "extract-cert", secretPath], null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        await File.WriteAllBytesAsync(publicPath, cert.Stdout, cancellationToken).ConfigureAwait(false);
        string revocation = secretPath + ".rev";
        if (File.Exists(revocation))
            File.Delete(revocation);
        return await FingerprintAsync(publicPath, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> GenerateWithRnpAsync(KeySpec spec, string secretPath, string publicPath, CancellationToken cancellationToken)
    {
        var home = Directory.CreateTempSubdirectory("msrnp-");
        try
        {
            var args = new List<string> { "--homedir", home.FullName, "--generate-key", "--userid", spec.Email, "--password", "", "--notty" };
            Stream? answers = null;
            if (spec.Primary != "default")
            {
                // rnpkeys --expert asks its questions on stdin: key type, then (for ECDSA) the curve.
                args.Add("--expert");
                answers = new MemoryStream(Encoding.ASCII.GetBytes(string.Join('\n', spec.Primary.Split(',')) + "\n"));
            }

            (await RunAsync("rnpkeys", args, answers, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
            var secret = (await RunAsync("rnpkeys", ["--homedir", home.FullName, "--export-key", "--secret", spec.Email], null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
            var cert = (await RunAsync("rnpkeys", ["--homedir", home.FullName, "--export-key", spec.Email], null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
            await File.WriteAllBytesAsync(secretPath, secret.Stdout, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(publicPath, cert.Stdout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            home.Delete(recursive: true);
        }

        return await FingerprintAsync(publicPath, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> GenerateWithOpenPgpJsAsync(KeySpec spec, string secretPath, string publicPath, CancellationToken cancellationToken)
    {
        string scripts = ProgramLocator.RequireOpenPgpJs();
        var result = (await RunAsync("node", [Path.Combine(scripts, "generate-v6.mjs"), spec.Primary, spec.Email, secretPath, publicPath], null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        return Encoding.ASCII.GetString(result.Stdout).Trim();
    }

    private async Task<string> FingerprintAsync(string certificatePath, CancellationToken cancellationToken)
    {
        await _scratchLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _scratch ??= GnuPgHome.Create();
            var fingerprints = await _scratch.ShowKeysAsync(certificatePath, cancellationToken).ConfigureAwait(false);
            return fingerprints.Count == 1
                ? fingerprints[0]
                : throw new OracleException($"{certificatePath} holds {fingerprints.Count} certificates, expected one");
        }
        finally
        {
            _scratchLock.Release();
        }
    }

    private Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, Stream? stdin, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(new ProcessRequest(program, arguments) { Stdin = stdin, Timeout = Timeout }, cancellationToken);
}
