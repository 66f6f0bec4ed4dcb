using System.Diagnostics;
using Xunit.Abstractions;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>The harness cleans up after itself: a stopped stack and a crashed run leave nothing behind.</summary>
[Collection(MailStackCollection.Name)]
public sealed class MailStackLifecycleTests
{
    private readonly ITestOutputHelper _output;

    public MailStackLifecycleTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task A_stopped_stack_leaves_no_process_port_directory_or_main_cf_entry_behind()
    {
        var stack = new MailStack(new OutputSink(_output));
        await stack.InitializeAsync();
        var pids = Enum.GetValues<MailService>().ToDictionary(s => s, s => stack.PidOf(s));
        int[] ports = [stack.SmtpPort, stack.SubmissionPort, stack.ImapPort, stack.SpamdPort, stack.DnsPort, stack.PostgresPort];
        var configDir = stack.PostfixConfigDirectory;
        try
        {
            Assert.All(pids, p => Assert.True(p.Value is int pid && PidControl.IsAlive(pid), $"{p.Key} is not running"));
            Assert.All(ports, p => Assert.True(FreePorts.IsListening(p), $"nothing listens on {p}"));
            Assert.Contains(configDir, await MailStack.AlternateConfigDirectoriesAsync());
            Assert.True(File.Exists(stack.MarkerFile));
        }
        finally
        {
            await stack.StopEverythingAsync();
        }

        Assert.All(pids, p => Assert.False(PidControl.IsAlive(p.Value!.Value), $"{p.Key} (pid {p.Value}) is still alive"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (ports.Any(FreePorts.IsListening) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.All(ports, p => Assert.False(FreePorts.IsListening(p), $"port {p} is still open"));
        Assert.False(Directory.Exists(stack.TempDirectory), $"{stack.TempDirectory} is still there");
        Assert.False(File.Exists(stack.MarkerFile));
        Assert.DoesNotContain(configDir, await MailStack.AlternateConfigDirectoriesAsync());
        Assert.Empty(ProcessesMentioning(stack.TempDirectory));
    }

    [Fact]
    public async Task A_run_whose_test_process_died_is_stopped_and_deleted_by_the_next_start()
    {
        // A crashed run: its marker names an owner that is gone; a live process stands in for its unbound.
        var id = "crashed" + Guid.NewGuid().ToString("N")[..8];
        var dir = Path.Combine(MailStack.RootDirectory, id);
        Directory.CreateDirectory(Path.Combine(dir, "run"));
        var fake = Path.Combine(dir, "unbound");
        File.CreateSymbolicLink(fake, "/bin/sleep");
        using var daemon = Process.Start(new ProcessStartInfo(fake, "300") { UseShellExecute = false })!;
        await File.WriteAllTextAsync(Path.Combine(dir, "run", "unbound.pid"), $"{daemon.Id}\n");
        using var gone = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync();
        var marker = Path.Combine(MailStack.RootDirectory, "runs", id);
        await File.WriteAllTextAsync(marker, $"owner {gone.Id} 1\ndir {dir}\nkeep 0\npid Unbound {daemon.Id}\n");
        try
        {
            await MailStack.CleanStaleRunsAsync();

            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(5)), "the crashed run's daemon is still running");
            Assert.False(Directory.Exists(dir));
            Assert.False(File.Exists(marker));
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill();
            }
        }
    }

    [Fact]
    public async Task A_live_run_of_another_test_process_is_left_alone()
    {
        // The marker of a run whose owner is alive (this process): cleanup must not touch it.
        var id = "alive" + Guid.NewGuid().ToString("N")[..8];
        var dir = Path.Combine(MailStack.RootDirectory, id);
        Directory.CreateDirectory(dir);
        var marker = Path.Combine(MailStack.RootDirectory, "runs", id);
        var me = Environment.ProcessId;
        await File.WriteAllTextAsync(marker, $"owner {me} {PidControl.StartTime(me)}\ndir {dir}\nkeep 0\n");
        try
        {
            await MailStack.CleanStaleRunsAsync();
            Assert.True(Directory.Exists(dir));
            Assert.True(File.Exists(marker));
        }
        finally
        {
            Directory.Delete(dir, true);
            File.Delete(marker);
        }
    }

    private static List<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(d), out var pid) && PidControl.IsAlive(pid))
            {
                var what = PidControl.Describe(pid);
                if (what.Contains(text, StringComparison.Ordinal))
                {
                    found.Add($"{pid} {what}");
                }
            }
        }

        return found;
    }

    private sealed class OutputSink(ITestOutputHelper output) : LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is IDiagnosticMessage d)
            {
                output.WriteLine(d.Message);
            }

            return true;
        }
    }
}
