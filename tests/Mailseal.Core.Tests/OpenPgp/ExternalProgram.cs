using System.Text;
using Mailseal.Core.Tests.OpenPgp.Interop;

namespace Mailseal.Core.Tests.OpenPgp;

/// <summary>
/// A synchronous front for <see cref="ProcessRunner"/>, for the oracle calls of the reader tests
/// (gpg, sq, rnp, node): a missing program or, with <c>check</c>, a failure fails the test with a
/// clear message.
/// </summary>
internal static class ExternalProgram
{
    public sealed record Result(int ExitCode, byte[] Stdout, string Stderr)
    {
        public string StdoutText => Encoding.UTF8.GetString(Stdout);
    }

    public static Result Run(string program, IEnumerable<string> args, byte[]? stdin = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, int timeoutSeconds = 120, bool check = true)
    {
        using var input = stdin is null ? null : new MemoryStream(stdin);
        var request = new ProcessRequest(program, [.. args])
        {
            Stdin = input,
            WorkingDirectory = workingDirectory,
            Environment = environment,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
            MaxCapturedStdout = Array.MaxLength,
        };
        var r = ProcessRunner.RunAsync(request).GetAwaiter().GetResult();
        if (r.TimedOut)
            throw new TimeoutException($"{request.CommandLine} did not finish in {timeoutSeconds} s");
        if (check && r.ExitCode != 0)
            throw new InvalidOperationException($"{request.CommandLine} exited {r.ExitCode}: {r.Stderr}");
        return new Result(r.ExitCode, r.Stdout, r.Stderr);
    }
}
