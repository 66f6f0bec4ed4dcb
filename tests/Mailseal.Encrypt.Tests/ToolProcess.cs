using Mailseal.Testing;

namespace Mailseal.Encrypt.Tests;

/// <summary>Runs the published mailseal-encrypt (or gpg) as a real process, with a timeout.</summary>
internal static class ToolProcess
{
    /// <summary>The published native mailseal-encrypt (tools/publish.sh), as an admin runs it.</summary>
    public static string ToolPath => PublishedTools.Path("mailseal-encrypt");

    public sealed record Result(int Exit, byte[] Stdout, string Stderr);

    public static Task<Result> RunToolAsync(IEnumerable<string> args, byte[] stdin) => RunAsync(ToolPath, args, stdin, null);

    public static async Task<Result> RunAsync(string program, IEnumerable<string> args, byte[]? stdin, IDictionary<string, string>? env)
    {
        // Never the machine's /etc/mailseal/mailseal.conf: tests name their configuration.
        var environment = new Dictionary<string, string>(env ?? new Dictionary<string, string>()) { ["HOME"] = Path.GetTempPath() };
        using var input = stdin is null ? null : new MemoryStream(stdin);
        var r = await ProcessRunner.RunAsync(new ProcessRequest(program, [.. args]) { Stdin = input, Environment = environment, MaxCapturedStdout = Array.MaxLength });
        if (r.TimedOut)
            throw new Xunit.Sdk.XunitException(program + " did not finish within 60 s");
        return new Result(r.ExitCode, r.Stdout, r.Stderr);
    }
}
