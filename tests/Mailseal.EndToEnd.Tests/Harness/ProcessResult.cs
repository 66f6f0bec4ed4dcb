namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>What a finished child process left behind.</summary>
/// <param name="ExitCode">The exit status.</param>
/// <param name="StandardOutput">Everything it wrote to stdout.</param>
/// <param name="StandardError">Everything it wrote to stderr.</param>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>stdout and stderr together, for failure messages.</summary>
    public string Output => (StandardOutput + StandardError).Trim();
}
