namespace Mailseal.Testing;

/// <summary>What to run and how: the program, its arguments, where its input comes from and its output goes.</summary>
/// <param name="Program">A program name looked up on PATH, or a path.</param>
/// <param name="Arguments">Arguments, passed as they are (no shell).</param>
public sealed record ProcessRequest(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>Fed to the child's stdin, then stdin is closed. Null: stdin is closed at once.</summary>
    public Stream? Stdin { get; init; }

    /// <summary>
    /// Receives everything the child writes to stdout (e.g. a hashing sink for a 20 MB plaintext).
    /// Null: stdout is captured into <see cref="ProcessResult.Stdout"/>, up to <see cref="MaxCapturedStdout"/>.
    /// </summary>
    public Stream? StdoutSink { get; init; }

    /// <summary>The whole run, output included, must finish within this; then the process tree is killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Captured stdout beyond this many bytes is counted but dropped.</summary>
    public int MaxCapturedStdout { get; init; } = 16 * 1024 * 1024;

    /// <summary>Captured stderr beyond this many bytes is dropped (an oracle that floods stderr cannot eat memory).</summary>
    public int MaxCapturedStderr { get; init; } = 64 * 1024;

    /// <summary>The child's working directory; null: the test's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Extra environment variables (LC_ALL=C is always set so messages are stable).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>The command line as a person would type it, for failure messages.</summary>
    public string CommandLine =>
        string.Join(' ', new[] { Program }.Concat(Arguments.Select(a => a.Length == 0 ? "''" : a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a)));
}
