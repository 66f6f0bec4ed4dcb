using System.Diagnostics;

namespace Mailseal.Core.Tests.Messages;

/// <summary>Runs a real program (gpg, rnp, sqop) with a timeout; a missing program fails the test.</summary>
internal static class ExternalProgram
{
    public static string Require(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
                return path;
        }

        throw new Xunit.Sdk.XunitException($"{name} is not installed; tools/install-deps.sh installs it");
    }

    public static async Task<(int Exit, byte[] Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args,
        byte[]? stdin, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(Require(program))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
                psi.Environment[k] = v;
        }

        using var p = Process.Start(psi) ?? throw new Xunit.Sdk.XunitException($"could not start {program}");
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
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
            // the program exited before reading all input; its exit code tells why
        }

        try
        {
            await p.WaitForExitAsync(cts.Token);
            await outTask;
            var err = await errTask;
            return (p.ExitCode, stdout.ToArray(), err);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"{program} {string.Join(' ', args)} did not finish in time");
        }
    }
}
