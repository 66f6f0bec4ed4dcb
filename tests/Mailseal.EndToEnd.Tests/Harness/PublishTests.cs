using System.Diagnostics;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>Mailseal binaries published for Postfix's pipe user: world-readable, runnable as that user, built once per run.</summary>
[Collection(MailStackCollection.Name)]
public sealed class PublishTests
{
    private readonly MailStack stack;

    public PublishTests(MailStack stack) => this.stack = stack;

    [Fact]
    public async Task A_published_tool_runs_as_the_pipe_user_and_is_published_once_per_run()
    {
        var dir = await stack.PublishAsync("Mailseal.Encrypt");
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

        var again = Stopwatch.StartNew();
        Assert.Equal(dir, await stack.PublishAsync("Mailseal.Encrypt"));
        Assert.True(again.Elapsed < TimeSpan.FromSeconds(1), "the second PublishAsync published again");
    }
}
