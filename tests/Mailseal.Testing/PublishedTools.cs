using System.Diagnostics;

namespace Mailseal.Testing;

/// <summary>
/// The published native binaries the tests run, as an admin runs them: the multi-call
/// <c>mailseal-encrypt</c>, <c>mailseal</c> and its links (<c>mailseal-pipe</c>, ...), built by tools/publish.sh into
/// artifacts/bin. tools/test.sh publishes before any test runs. Run from an IDE or a bare
/// <c>dotnet test</c>, the first test that needs a tool publishes it when the binary is missing
/// or older than a source file, so a test never runs yesterday's binary.
/// <c>MAILSEAL_BIN_DIR</c> points the tests at another folder (an installed package's /usr/bin);
/// then nothing is published and a missing tool fails the test.
/// </summary>
public static class PublishedTools
{
    /// <summary>The binaries of one tool each, named after it (no <c>--list</c>, no links): docs/native-binaries.md.</summary>
    public static IReadOnlyList<string> SingleToolBinaries { get; } = ["mailseal-encrypt", "mailseal-spfd"];

    /// <summary>The multi-call binaries; their tools are links to them, named by their <c>--list</c>.</summary>
    public static IReadOnlyList<string> MulticallBinaries { get; } = ["mailseal", "mailseald", "mailseal-tools"];

    // Every binary tools/publish.sh writes.
    private static readonly string[] Binaries = [.. SingleToolBinaries, .. MulticallBinaries];

    private static readonly Lazy<string> Folder = new(Locate, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The folder with <c>mailseal</c> and its links, published if needed.</summary>
    public static string Directory => Folder.Value;

    /// <summary>
    /// True when <c>MAILSEAL_BIN_DIR</c> names the folder (an installed package's /usr/bin):
    /// the binaries are used where they are, never copied or republished.
    /// </summary>
    public static bool IsGiven => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MAILSEAL_BIN_DIR"));

    /// <summary>
    /// The folder holding postfix/ (with apply.sh) and dovecot/: <c>MAILSEAL_SHARE_DIR</c> (an
    /// installed package's /usr/share/mailseal) when set, else the repository root.
    /// </summary>
    public static string FragmentRoot()
    {
        var given = Environment.GetEnvironmentVariable("MAILSEAL_SHARE_DIR");
        if (string.IsNullOrEmpty(given))
            return RepositoryRoot();
        return File.Exists(System.IO.Path.Combine(given, "postfix", "apply.sh"))
            ? given
            : throw new InvalidOperationException($"MAILSEAL_SHARE_DIR={given} holds no postfix/apply.sh");
    }

    /// <summary>The path of the tool called <paramref name="tool"/> (e.g. <c>mailseal-encrypt</c>).</summary>
    /// <exception cref="InvalidOperationException">The tool is not in the published folder.</exception>
    public static string Path(string tool)
    {
        ArgumentException.ThrowIfNullOrEmpty(tool);
        var path = System.IO.Path.Combine(Directory, tool);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} does not exist: the published binary has no tool '{tool}' (tools/publish.sh)");
    }

    /// <summary>The repository root: the nearest directory above the tests that holds Toolkit.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Toolkit.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"no Toolkit.sln above {AppContext.BaseDirectory}: run the tests from a clone of the repository");
    }

    private static string Locate()
    {
        var given = Environment.GetEnvironmentVariable("MAILSEAL_BIN_DIR");
        if (!string.IsNullOrEmpty(given))
        {
            return File.Exists(System.IO.Path.Combine(given, "mailseal"))
                ? given
                : throw new InvalidOperationException($"MAILSEAL_BIN_DIR={given} holds no mailseal binary");
        }

        var root = RepositoryRoot();
        var folder = System.IO.Path.Combine(root, "artifacts", "bin");
        System.IO.Directory.CreateDirectory(System.IO.Path.Combine(root, "artifacts"));
        // One publish at a time, across test processes too (several test assemblies may start at once).
        using var gate = AcquireLock(System.IO.Path.Combine(root, "artifacts", "publish.lock"));
        // Every multi-call binary: a folder published before one was added lacks it.
        var newest = NewestSource(root);
        if (Binaries.Any(b => !File.Exists(System.IO.Path.Combine(folder, b)) || File.GetLastWriteTimeUtc(System.IO.Path.Combine(folder, b)) < newest))
            Publish(root, folder);
        return folder;
    }

    private static DateTime NewestSource(string root)
    {
        var newest = DateTime.MinValue;
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            var t = File.GetLastWriteTimeUtc(System.IO.Path.Combine(root, name));
            if (t > newest)
                newest = t;
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(System.IO.Path.Combine(root, "src"), "*", SearchOption.AllDirectories))
        {
            if (file.Contains("/bin/", StringComparison.Ordinal) || file.Contains("/obj/", StringComparison.Ordinal))
                continue;
            if (!file.EndsWith(".cs", StringComparison.Ordinal) && !file.EndsWith(".csproj", StringComparison.Ordinal))
                continue;
            var t = File.GetLastWriteTimeUtc(file);
            if (t > newest)
                newest = t;
        }

        return newest;
    }

    private static void Publish(string root, string folder)
    {
        var info = new ProcessStartInfo("bash") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(System.IO.Path.Combine(root, "tools", "publish.sh"));
        info.ArgumentList.Add(folder);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start tools/publish.sh");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(20)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("tools/publish.sh did not finish within 20 minutes (a loaded machine?)");
        }

        if (process.ExitCode != 0)
            throw new InvalidOperationException($"tools/publish.sh exited {process.ExitCode}: {stdout.Result}{stderr.Result}");
    }

    private static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(22);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}
