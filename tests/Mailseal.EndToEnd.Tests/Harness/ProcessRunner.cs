using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// Runs programs for the harness with bounded waits. A program that is not installed fails
/// with a message naming it (a missing server is a failed test, never a skip).
/// </summary>
public static class ProcessRunner
{
    /// <summary>How long a helper program may run unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The PATH children get: sbin included, whatever the test runner's PATH is.</summary>
    public const string SystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/>, feeds it
    /// <paramref name="standardInput"/> (or nothing), and returns its output. Throws when it
    /// cannot be started or runs longer than <paramref name="timeout"/> (it is then killed).
    /// </summary>
    public static async Task<ProcessResult> RunAsync(
        string program,
        IEnumerable<string> arguments,
        string? standardInput = null,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken ct = default)
    {
        var info = new ProcessStartInfo(Resolve(program))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["PATH"] = SystemPath;
        info.Environment["LC_ALL"] = "C.UTF-8";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                info.Environment[k] = v;
            }
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run {program}: {e.Message} (is it installed? tools/install-deps.sh installs what the tests need)", e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), ct).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child exited without reading its input; its exit status tells the story.
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var limit = timeout ?? DefaultTimeout;
        timer.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            throw new TimeoutException($"{program} {string.Join(' ', info.ArgumentList)} did not finish within {limit.TotalSeconds} s");
        }

        return new ProcessResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Like <see cref="RunAsync"/>, but throws with the output unless the exit status is 0.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(
        string program,
        IEnumerable<string> arguments,
        string? standardInput = null,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken ct = default)
    {
        var list = arguments.ToList();
        var result = await RunAsync(program, list, standardInput, timeout, environment, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', list)} exited {result.ExitCode}: {result.Output}");
        }

        return result;
    }

    /// <summary>
    /// Starts a program that daemonizes (or runs long) with stdin from /dev/null and
    /// stdout/stderr appended to <paramref name="logFile"/>, so that no pipe of ours stays
    /// open in the daemon (NOTES.md pitfall 13), and waits for the launcher to exit.
    /// </summary>
    /// <returns>The launcher's exit status.</returns>
    public static async Task<int> RunDetachedAsync(string program, IEnumerable<string> arguments, string logFile, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var args = new List<string> { "-c", "exec \"$0\" \"$@\" </dev/null >>\"$MAILSEAL_E2E_LOG\" 2>&1", Resolve(program) };
        args.AddRange(arguments);
        var env = new Dictionary<string, string> { ["MAILSEAL_E2E_LOG"] = logFile };
        var result = await RunAsync("/bin/sh", args, null, timeout, env, ct).ConfigureAwait(false);
        return result.ExitCode;
    }

    /// <summary>Finds <paramref name="program"/> on <see cref="SystemPath"/>; a clear error if absent.</summary>
    public static string Resolve(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program)
                ? program
                : throw new InvalidOperationException($"program {program} is missing (tools/install-deps.sh installs what the end-to-end tests need)");
        }

        foreach (var dir in SystemPath.Split(':'))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var dotnetRoot = Path.Combine("/usr/share/dotnet", program);
        if (File.Exists(dotnetRoot))
        {
            return dotnetRoot;
        }

        throw new InvalidOperationException($"program {program} is not installed (not on {SystemPath}); tools/install-deps.sh installs what the end-to-end tests need");
    }
}
