using System.Security.Cryptography;

namespace Mailseal.Core.Tests.OpenPgp.Interop;

/// <summary>The oracle layer's process runner: no deadlock, bounded time, useful failure messages.</summary>
public sealed class ProcessRunnerTests
{
    [Fact]
    public async Task Feeds_stdin_while_draining_stdout_so_a_large_copy_does_not_deadlock()
    {
        // cat writes as it reads: with 8 MB through 64 KB pipes, feeding and draining one after
        // the other would block both processes forever.
        byte[] data = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        using var sink = new HashingSink();

        var result = await ProcessRunner.RunAsync(new ProcessRequest("cat", []) { Stdin = new MemoryStream(data), StdoutSink = sink, Timeout = TimeSpan.FromSeconds(30) });

        Assert.True(result.Succeeded, result.Describe());
        Assert.Equal(data.Length, result.StdoutLength);
        Assert.Equal(HashingSink.HashOf(data), sink.Sha256Hex);
    }

    [Fact]
    public async Task Drains_a_flooded_stderr_and_keeps_only_its_limit()
    {
        var request = new ProcessRequest("sh", ["-c", "head -c 1000000 /dev/zero | tr '\\0' x >&2; echo done"])
        {
            MaxCapturedStderr = 1000,
            Timeout = TimeSpan.FromSeconds(30),
        };

        var result = await ProcessRunner.RunAsync(request);

        Assert.True(result.Succeeded, result.Describe());
        Assert.Equal(1000, result.Stderr.Length);
        Assert.Equal("done\n", System.Text.Encoding.ASCII.GetString(result.Stdout));
    }

    [Fact]
    public async Task Kills_a_child_that_outlives_its_timeout()
    {
        var result = await ProcessRunner.RunAsync(new ProcessRequest("sleep", ["30"]) { Timeout = TimeSpan.FromMilliseconds(500) });

        Assert.True(result.TimedOut);
        Assert.False(result.Succeeded);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(15), $"took {result.Elapsed}");
        Assert.Contains("timed out", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failure_message_names_the_command_exit_code_and_stderr()
    {
        var result = await ProcessRunner.RunAsync(new ProcessRequest("sh", ["-c", "echo boom >&2; exit 3"]));

        var e = Assert.Throws<OracleException>(() => result.EnsureSuccess());
        Assert.Contains("exited 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("boom", e.Message, StringComparison.Ordinal);
        Assert.Contains("sh -c", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_child_that_ignores_its_stdin_does_not_break_the_runner()
    {
        // `true` exits without reading: feeding it 4 MB ends in EPIPE, which is not the runner's error.
        var result = await ProcessRunner.RunAsync(new ProcessRequest("true", []) { Stdin = new MemoryStream(new byte[4 * 1024 * 1024]) });

        Assert.True(result.Succeeded, result.Describe());
    }

    [Fact]
    public async Task A_missing_program_fails_with_the_install_hint()
    {
        var e = await Assert.ThrowsAsync<OracleException>(() => ProcessRunner.RunAsync(new ProcessRequest("mailseal-no-such-oracle", [])));

        Assert.Equal("mailseal-no-such-oracle not found: run tools/install-deps.sh", e.Message);
    }
}
