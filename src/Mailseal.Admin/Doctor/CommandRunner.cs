using System.ComponentModel;
using System.Diagnostics;

namespace Mailseal.Admin.Doctor;

/// <summary>
/// Runs postconf and doveconf the way doctor needs: argument list (no shell), stdin closed,
/// both outputs read concurrently (no deadlock on a full pipe), bounded in size and time.
/// </summary>
internal static class CommandRunner
{
    private const int MaxOutputChars = 4 * 1024 * 1024;

    /// <returns>Exit code and output; exit -1 with the reason in Error when it could not run or timed out.</returns>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            info.ArgumentList.Add(a);
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return (-1, string.Empty, $"{program} cannot be run: {e.Message}");
        }

        process.StandardInput.Close();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        Task<string> output = ReadBoundedAsync(process.StandardOutput, cts.Token);
        Task<string> error = ReadBoundedAsync(process.StandardError, cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return (-1, string.Empty, $"{program} did not finish within {timeout.TotalSeconds:0} s");
        }
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader, CancellationToken ct)
    {
        var buffer = new char[8192];
        var text = new System.Text.StringBuilder();
        int n;
        while ((n = await reader.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (text.Length < MaxOutputChars)
                text.Append(buffer, 0, Math.Min(n, MaxOutputChars - text.Length));
        }

        return text.ToString();
    }
}
