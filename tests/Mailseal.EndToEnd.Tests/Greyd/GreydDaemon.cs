using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Greyd;

/// <summary>
/// mailseal-greyd started as a daemon on a free 127.0.0.1 port, stopped by pid on dispose.
/// Every end-to-end test starts the tool through <see cref="ProgramAsync"/>: point that one
/// method at the NativeAOT binary and they all run it.
/// </summary>
public sealed class GreydDaemon : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private GreydDaemon(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Listen => $"inet:127.0.0.1:{Port}";

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>The mailseal-greyd executable the tests run (published once per run by the harness).</summary>
    public static async Task<string> ProgramAsync(MailStack stack)
    {
        var bin = Path.Combine(await stack.ToolsDirectoryAsync(), "mailseal-greyd");
        Assert.True(File.Exists(bin), $"publishing Mailseal.Greyd gave no {bin}");
        return bin;
    }

    /// <summary>Runs the program to completion (an import); returns exit code and output.</summary>
    public static async Task<ProcessResult> RunAsync(MailStack stack, params string[] args) =>
        await ProcessRunner.RunAsync(await ProgramAsync(stack), args, timeout: TimeSpan.FromMinutes(2));

    /// <summary>Starts a daemon with postgrey's --inet on a free port plus <paramref name="args"/>, and waits until it listens.</summary>
    public static async Task<GreydDaemon> StartAsync(MailStack stack, params string[] args) => await StartOnAsync(stack, FreePorts.Take(1)[0], args);

    /// <summary>Starts a daemon on a given port (a restart on the same address).</summary>
    public static async Task<GreydDaemon> StartOnAsync(MailStack stack, int port, params string[] args)
    {
        var info = new ProcessStartInfo(await ProgramAsync(stack)) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add($"--inet={port}");
        info.ArgumentList.Add("--syslog-socket");
        info.ArgumentList.Add(Path.Combine(stack.TempDirectory, "run", "no-syslog"));
        foreach (var a in args)
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start mailseal-greyd");
        var daemon = new GreydDaemon(process, port);
        process.OutputDataReceived += (_, e) => daemon.Append(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!FreePorts.IsListening(port))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await daemon.DisposeAsync();
                Assert.Fail($"mailseal-greyd did not listen on {port}: {daemon.Log}");
            }

            await Task.Delay(50);
        }

        return daemon;
    }

    /// <summary>Sends one policy request on a new connection and returns the action (null when the server closed without a reply).</summary>
    public Task<string?> AskAsync(string client, string sender, string recipient, string instance, TimeSpan? timeout = null) =>
        AskAsync(Port, client, sender, recipient, instance, timeout);

    /// <summary>Sends one policy request to any policy server on 127.0.0.1 (postgrey too).</summary>
    public static async Task<string?> AskAsync(int port, string client, string sender, string recipient, string instance, TimeSpan? timeout = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        await socket.ConnectAsync("127.0.0.1", port, cts.Token);
        var request = $"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address={client}\nclient_name=unknown\nsender={sender}\nrecipient={recipient}\ninstance={instance}\netrn_domain=\n\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cts.Token);
        var buffer = new byte[4096];
        var received = new StringBuilder();
        while (!received.ToString().EndsWith("\n\n", StringComparison.Ordinal))
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
                return null;
            received.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        var line = received.ToString().Split('\n')[0];
        return line.StartsWith("action=", StringComparison.Ordinal) ? line["action=".Length..] : line;
    }

    /// <summary>Waits until the log holds <paramref name="text"/> (for example the store's "ready" line).</summary>
    public async Task WaitForLogAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!Log.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline && !_process.HasExited, $"no '{text}' in the log of mailseal-greyd: {Log}");
            await Task.Delay(50);
        }
    }

    /// <summary>Kills the daemon with SIGKILL (no clean shutdown).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = await PidControl.StopAsync(_process.Id, "mailseal-greyd", 15, TimeSpan.FromSeconds(5));
            if (!_process.HasExited)
                _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            if (_log.Length < 1 << 20)
                _log.AppendLine(line);
        }
    }
}
