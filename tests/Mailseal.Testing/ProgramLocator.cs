namespace Mailseal.Testing;

/// <summary>
/// Finds the oracle programs on PATH and the repository's files. A missing program is an error
/// with the fix in its message ("gpg not found: run tools/install-deps.sh"): the interop tests
/// never skip, because a skipped oracle in CI would hide exactly what they exist to show.
/// </summary>
public static class ProgramLocator
{
    /// <summary>The PATH the harness's children get: sbin included, whatever the test runner's PATH is.</summary>
    public const string SystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The full path of <paramref name="program"/> on PATH (or the path itself if it contains a slash).</summary>
    /// <exception cref="OracleException">The program is not installed.</exception>
    public static string Require(string program)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program)
                ? program
                : throw new OracleException($"{program} not found: run tools/install-deps.sh");
        }

        // the test runner's PATH first, then the system directories (sbin included: postfix,
        // postconf, unbound live there), then the .NET root
        string path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty) + ":" + SystemPath + ":/usr/share/dotnet";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate) && IsExecutable(candidate))
                return candidate;
        }

        throw new OracleException($"{program} not found: run tools/install-deps.sh");
    }

    /// <summary>
    /// The repository root: the nearest directory above the running assembly that holds
    /// Toolkit.sln.
    /// </summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln")))
                return dir.FullName;
        }

        throw new OracleException($"no Toolkit.sln above {AppContext.BaseDirectory}: run the tests from a clone of the repository");
    }

    /// <summary>
    /// tests/oracles, where the OpenPGP.js scripts live, after checking that node and the
    /// openpgp package are installed.
    /// </summary>
    public static string RequireOpenPgpJs()
    {
        Require("node");
        string dir = Path.Combine(RepositoryRoot(), "tests", "oracles");
        if (!File.Exists(Path.Combine(dir, "node_modules", "openpgp", "package.json")))
            throw new OracleException("OpenPGP.js not found in tests/oracles/node_modules: run tools/install-deps.sh");
        return dir;
    }

    private static bool IsExecutable(string path) =>
        OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
