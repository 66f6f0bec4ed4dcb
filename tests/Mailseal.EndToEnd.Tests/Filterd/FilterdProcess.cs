using System.Diagnostics;
using System.Globalization;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Filterd;

/// <summary>
/// The published native mailseal-filterd, started by the test on a free loopback port and
/// stopped by its pid (SIGTERM, or SIGKILL for the fault tests). stderr goes to a log file in
/// the stack's log directory.
/// </summary>
internal sealed class FilterdProcess : IAsyncDisposable
{
    private readonly Process _process;

    private FilterdProcess(Process process, int port, string log)
    {
        _process = process;
        Port = port;
        LogFile = log;
    }

    public int Port { get; }

    public string LogFile { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static async Task<FilterdProcess> StartAsync(MailStack stack, int port, IEnumerable<string> args)
    {
        string tool = Path.Combine(await stack.ToolsDirectoryAsync(), "mailseal-filterd");
        string log = Path.Combine(stack.LogDirectory, $"filterd-{port}.log");
        var psi = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        // exec: the pid is the daemon's own, so SIGTERM/SIGKILL reach it and not a shell.
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >>\"$MAILSEAL_FILTERD_LOG\" 2>&1");
        psi.ArgumentList.Add(tool);
        psi.ArgumentList.Add("--listen");
        psi.ArgumentList.Add($"inet:127.0.0.1:{port}");
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["MAILSEAL_FILTERD_LOG"] = log;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start mailseal-filterd");
        var started = new FilterdProcess(process, port, log);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!FreePorts.IsListening(port))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"mailseal-filterd did not start listening on {port}: {started.Log()}");
            await Task.Delay(50);
        }

        return started;
    }

    public string Log() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : string.Empty;

    public void Signal(string signal) =>
        Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal("TERM");
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
            }
        }

        _process.Dispose();
    }
}
