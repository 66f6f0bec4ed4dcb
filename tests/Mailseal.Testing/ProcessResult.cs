namespace Mailseal.Testing;

/// <summary>How a child process ended and what it wrote.</summary>
/// <param name="CommandLine">The command as run, for messages.</param>
/// <param name="ExitCode">The exit code; -1 when the run timed out and the process was killed.</param>
/// <param name="TimedOut">The run exceeded its timeout and was killed.</param>
/// <param name="Stdout">Captured stdout (empty when a sink received it).</param>
/// <param name="StdoutLength">How many bytes the child wrote to stdout in all.</param>
/// <param name="Stderr">Captured stderr as text (truncated at the request's limit).</param>
/// <param name="Elapsed">Wall-clock time from start to the end of its output.</param>
public sealed record ProcessResult(
    string CommandLine,
    int ExitCode,
    bool TimedOut,
    byte[] Stdout,
    long StdoutLength,
    string Stderr,
    TimeSpan Elapsed)
{
    /// <summary>Captured stdout as UTF-8 text.</summary>
    public string StandardOutput => System.Text.Encoding.UTF8.GetString(Stdout);

    /// <summary>Captured stderr (the same as <see cref="Stderr"/>).</summary>
    public string StandardError => Stderr;

    /// <summary>stdout and stderr together, trimmed, for failure messages.</summary>
    public string Output => (StandardOutput + StandardError).Trim();

    /// <summary>True when the process exited 0 in time.</summary>
    public bool Succeeded => !TimedOut && ExitCode == 0;

    /// <summary>One paragraph: the command, how it ended, and its stderr.</summary>
    public string Describe()
    {
        string end = TimedOut
            ? $"timed out after {Elapsed.TotalSeconds:F1} s and was killed"
            : $"exited {ExitCode} after {Elapsed.TotalSeconds:F1} s";
        string err = Stderr.Trim();
        return $"`{CommandLine}` {end}, {StdoutLength} bytes on stdout; stderr: {(err.Length == 0 ? "(empty)" : err)}";
    }

    /// <summary>This result, or an <see cref="OracleException"/> describing the failure.</summary>
    public ProcessResult EnsureSuccess() => Succeeded ? this : throw new OracleException(Describe());
}
