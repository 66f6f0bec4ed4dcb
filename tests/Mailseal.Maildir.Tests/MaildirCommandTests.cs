using System.Diagnostics;
using System.Text;
using Mailseal.Core.Cli;

namespace Mailseal.Maildir.Tests;

public sealed class MaildirCommandTests : IDisposable
{
    private readonly TestMaildir _m = new();

    public void Dispose() => _m.Dispose();

    [Fact]
    public async Task Doveadm_is_asked_for_one_force_resync_after_encrypting_and_none_before_so_new_mail_waits_for_a_select()
    {
        // force-resync does not move new/ to cur/ (doveadm opens the folder without
        // MAILBOX_FLAG_DROP_RECENT): a call before the run would only cost a doveadm start
        string folder = _m.CreateFolder("Sent");
        _m.Add(folder, 1, _m.Message(1), "S", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        TestMaildir.WriteUidList(folder);
        string fresh = Path.Combine(folder, "new", "1700000099.M99P4242.testhost");
        await File.WriteAllTextAsync(fresh, _m.Message(99));
        byte[] freshBytes = await File.ReadAllBytesAsync(fresh);
        string calls = Path.Combine(_m.Dir, "doveadm.calls");
        string doveadm = Path.Combine(_m.Dir, "doveadm");
        // records each call with how many files of cur/ were ciphertext at that moment
        await File.WriteAllTextAsync(doveadm, $"#!/bin/sh\necho \"$* | $(grep -l -r multipart/encrypted '{folder}/cur' | wc -l) encrypted\" >> '{calls}'\n");
        File.SetUnixFileMode(doveadm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var output = new MemoryStream();
        var error = new StringWriter();

        int exit = await MaildirProgram.RunAsync(
            ["encrypt", "--config", _m.Config, "--user", TestMaildir.User, "--maildir", _m.Root, "--key-dir", _m.KeyDir, "--doveadm", doveadm,
             "--allow-root", "--syslog-socket", Path.Combine(_m.Dir, "no-syslog")],
            new ToolContext(Stream.Null, output, error), CancellationToken.None);

        Assert.True(exit == 0, error.ToString());
        string summary = Encoding.UTF8.GetString(output.ToArray());
        Assert.Contains("1 encrypted", summary, StringComparison.Ordinal);
        Assert.Contains("1 in new/", summary, StringComparison.Ordinal);
        Assert.Equal([$"force-resync -u {TestMaildir.User} Sent | 1 encrypted"], await File.ReadAllLinesAsync(calls));
        Assert.Equal(freshBytes, await File.ReadAllBytesAsync(fresh));
    }

    [Theory]
    [InlineData("kill -SEGV $$", "signal 11 (a limit inherited")]
    [InlineData("kill -ABRT $$", "signal 6 (a limit inherited")]
    [InlineData("exit 64", "exit status 64")]
    public async Task A_detached_run_that_dies_where_it_cannot_log_is_reported_to_syslog_by_its_shell(string death, string reported)
    {
        using var syslog = new SyslogListener(Path.Combine(_m.Dir, "syslog"));
        var (pid, exit) = await RunDetachScriptAsync(syslog.Path, "/bin/sh", "-c", death);

        Assert.NotEqual(0, exit);
        string line = Assert.Single(syslog.Drain());
        Assert.Matches(SyslogListener.LinePrefixPattern(MaildirProgram.ToolName, severity: 3), line);
        Assert.Contains($"{MaildirProgram.ToolName}[{pid}]: NOQUEUE: user=<{TestMaildir.User}>, action=failed, detached run ended with {reported}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_detached_run_that_ends_well_leaves_the_logging_to_the_tool()
    {
        using var syslog = new SyslogListener(Path.Combine(_m.Dir, "syslog"));
        var (_, exit) = await RunDetachScriptAsync(syslog.Path, "/bin/true");

        Assert.Equal(0, exit);
        Assert.Empty(syslog.Drain());
    }

    /// <summary>
    /// <see cref="MaildirCommand.DetachScript"/> run as the detaching setsid runs it, with
    /// <paramref name="command"/> in the tool's place; returns the pid it printed and its exit status.
    /// </summary>
    private async Task<(int Pid, int Exit)> RunDetachScriptAsync(string syslogSocket, params string[] command)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (string a in new[] { "-c", MaildirCommand.DetachScript, "sh", syslogSocket, $"NOQUEUE: user=<{TestMaildir.User}>" }.Concat(command))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        string pid = await p.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        return (int.Parse(pid.Trim(), System.Globalization.CultureInfo.InvariantCulture), p.ExitCode);
    }
}
