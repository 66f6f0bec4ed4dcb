namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>The published native binaries, copied for Postfix's pipe user: world-readable, runnable as that user, copied once per run, no .NET runtime needed.</summary>
[Collection(MailStackCollection.Name)]
public sealed class PublishTests
{
    private readonly MailStack _stack;

    public PublishTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task A_published_tool_runs_as_the_pipe_user_and_is_copied_once_per_run()
    {
        var dir = await _stack.ToolsDirectoryAsync();
        var tool = Path.Combine(dir, "mailseal-encrypt");
        Assert.True(File.Exists(tool), $"{tool} missing");
        Assert.False(dir.StartsWith("/root", StringComparison.Ordinal));
        Assert.True(File.GetUnixFileMode(tool).HasFlag(UnixFileMode.OtherExecute | UnixFileMode.OtherRead), "the tool is not world-executable");
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
        {
            Assert.True(File.GetUnixFileMode(d.FullName).HasFlag(UnixFileMode.OtherExecute), $"{d.FullName} is not world-searchable");
        }

        var run = await ProcessRunner.RunAsync("runuser", ["-u", MailStack.PipeUser, "--", tool, "--help"], standardInput: string.Empty);
        Assert.True(run.ExitCode == 0 || run.ExitCode is >= 64 and <= 78, $"mailseal-encrypt as {MailStack.PipeUser} exited {run.ExitCode}: {run.Output}");
        Assert.DoesNotContain("install", run.StandardError, StringComparison.OrdinalIgnoreCase); // "You must install .NET ..."

        // Native: ELF executables with no .NET runtime beside them. mailseal-encrypt is a binary of
        // its own (docs/native-binaries.md); the other per-message tools are links to mailseal.
        var binary = Path.Combine(dir, "mailseal");
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(binary)[..4]);
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(tool)[..4]);
        Assert.Null(new FileInfo(tool).LinkTarget);
        Assert.Equal("mailseal", new FileInfo(Path.Combine(dir, "mailseal-pipe")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(dir, "libcoreclr.so")), "a .NET runtime was published beside the tools");
        var env = await ProcessRunner.RunAsync("env", ["-i", "PATH=/usr/bin:/bin", tool, "--version"], standardInput: string.Empty);
        Assert.True(env.ExitCode == 0, "mailseal-encrypt --version with no DOTNET_ variables: " + env.Output);

        // Copied once: a second call leaves the files as they are. A copy (cp -a) would rewrite the
        // binary (a new change time) and make the link anew (a new inode). No stopwatch: a busy
        // machine can stall any call past a time limit.
        string[] stat = ["-c", "%n %i %z", binary, Path.Combine(dir, "mailseal-pipe")];
        var before = await ProcessRunner.RunCheckedAsync("stat", stat);
        Assert.Equal(dir, await _stack.ToolsDirectoryAsync());
        Assert.True(before.StandardOutput == (await ProcessRunner.RunCheckedAsync("stat", stat)).StandardOutput, "the second ToolsDirectoryAsync copied again");
    }
}
