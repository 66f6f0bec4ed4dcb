using System.Diagnostics;

namespace Mailseal.Encrypt.Tests;

/// <summary>Runs the built mailseal-encrypt (or gpg) as a real process, with a timeout.</summary>
internal static class ToolProcess
{
    public static string ToolPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "mailseal-encrypt");
            if (!File.Exists(path))
                throw new Xunit.Sdk.XunitException($"the tool was not built next to the tests: {path}");
            return path;
        }
    }

    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "Toolkit.sln")))
                    return d.FullName;
            }

            throw new Xunit.Sdk.XunitException("repository root (Toolkit.sln) not found above " + AppContext.BaseDirectory);
        }
    }

    public sealed record Result(int Exit, byte[] Stdout, string Stderr);

    public static Task<Result> RunToolAsync(IEnumerable<string> args, byte[] stdin) => RunAsync(ToolPath, args, stdin, null);

    public static async Task<Result> RunAsync(string program, IEnumerable<string> args, byte[]? stdin, IDictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        }

        // Never the machine's /etc/mailseal/mailseal.conf: tests name their configuration.
        psi.Environment["HOME"] = Path.GetTempPath();
        using var p = Process.Start(psi) ?? throw new Xunit.Sdk.XunitException("could not start " + program);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = new MemoryStream();
        var outTask = p.StandardOutput.BaseStream.CopyToAsync(stdout, cts.Token);
        var errTask = p.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            if (stdin is not null)
                await p.StandardInput.BaseStream.WriteAsync(stdin, cts.Token);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // exited before reading everything: the exit code says why
        }

        try
        {
            await p.WaitForExitAsync(cts.Token);
            await outTask;
            return new Result(p.ExitCode, stdout.ToArray(), await errTask);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException(program + " did not finish within 60 s");
        }
    }

    public static string Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
                return path;
        }

        throw new Xunit.Sdk.XunitException($"{name} is not installed; tools/install-deps.sh installs it");
    }
}
