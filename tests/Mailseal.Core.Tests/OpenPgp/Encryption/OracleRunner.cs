using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Mailseal.Core.Tests.OpenPgp.Encryption;

/// <summary>Runs an oracle program (gpg, gpgconf, node) for the encryption tests with a time limit; a missing program fails the test.</summary>
public static class OracleRunner
{
    /// <summary>The result of one run.</summary>
    public sealed record Result(int ExitCode, byte[] Stdout, string Stderr);

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/>, stdin closed, stdout and stderr captured.</summary>
    public static Result Run(string program, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        start.Environment["LC_ALL"] = "C";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"the test needs '{program}' on PATH (tools/install-deps.sh installs it): {ex.Message}", ex);
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = new MemoryStream();
            var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            var readErr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in time");
            }

            copyOut.Wait();
            return new Result(process.ExitCode, stdout.ToArray(), readErr.Result);
        }
    }

    /// <summary>Runs and fails with the program's stderr unless it exits 0.</summary>
    public static byte[] RunChecked(string program, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var args = arguments.ToList();
        var r = Run(program, args, workingDirectory, timeout);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {r.ExitCode}: {r.Stderr.Trim()}");
        return r.Stdout;
    }

    /// <summary>The repository root (where Toolkit.sln is), found from the test binary's folder.</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Toolkit.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Toolkit.sln not found above the test binaries");
    }

    /// <summary>A fresh private (0700) temporary directory.</summary>
    public static string PrivateTempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..12]);
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("the OpenPGP oracle tests run on Linux");
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Text for assertion messages.</summary>
    public static string Describe(Result r) =>
        $"exit {r.ExitCode}, stderr: {r.Stderr.Trim()}, stdout {r.Stdout.Length} octets" + (r.Stdout.Length is > 0 and < 200 ? $" ({Encoding.UTF8.GetString(r.Stdout)})" : "");
}
