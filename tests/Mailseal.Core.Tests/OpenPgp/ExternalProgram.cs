using System.Diagnostics;
using System.Text;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>Runs an oracle program (gpg, sq, rnp, node) with a time bound; a missing program or a failure fails the test with a clear message.</summary>
internal static class ExternalProgram
{
    public sealed record Result(int ExitCode, byte[] Stdout, string Stderr)
    {
        public string StdoutText => Encoding.UTF8.GetString(Stdout);
    }

    public static Result Run(string program, IEnumerable<string> args, byte[]? stdin = null, string? workingDirectory = null,
        IDictionary<string, string>? environment = null, int timeoutSeconds = 120, bool check = true)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
            psi.WorkingDirectory = workingDirectory;
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
                psi.Environment[k] = v;
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"{program} did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"the oracle program '{program}' is not installed or not runnable ({ex.Message}); run tools/install-deps.sh", ex);
        }

        using (process)
        {
            var stdout = new MemoryStream();
            var outTask = process.StandardOutput.BaseStream.CopyToAsync(stdout);
            var errTask = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
                process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.Close();
            if (!process.WaitForExit(timeoutSeconds * 1000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', psi.ArgumentList)} did not finish in {timeoutSeconds} s");
            }

            outTask.Wait();
            string stderr = errTask.Result;
            var result = new Result(process.ExitCode, stdout.ToArray(), stderr);
            if (check && result.ExitCode != 0)
                throw new InvalidOperationException($"{program} {string.Join(' ', psi.ArgumentList)} exited {result.ExitCode}: {stderr}");
            return result;
        }
    }
}
