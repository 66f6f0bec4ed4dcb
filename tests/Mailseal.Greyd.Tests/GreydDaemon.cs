using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Mailseal.Testing;

namespace Mailseal.Greyd.Tests;

/// <summary>The built mailseal-greyd started as a daemon on a free 127.0.0.1 port; killed by pid on dispose.</summary>
internal sealed partial class GreydDaemon : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private GreydDaemon(Process process) => _process = process;

    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    public bool HasExited => _process.HasExited;

    public string Stderr
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    /// <summary>Resident memory of the daemon in KiB (VmRSS).</summary>
    public long ResidentKib()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        throw new InvalidOperationException("no VmRSS for the daemon");
    }

    public static async Task<GreydDaemon> StartAsync(params string[] args)
    {
        var info = new ProcessStartInfo(PublishedTools.Path("mailseal-greyd"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--listen", "inet:127.0.0.1:0", "--syslog-socket", "/nonexistent/log" }.Concat(args))
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start mailseal-greyd");
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var daemon = new GreydDaemon(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                port.TrySetException(new InvalidOperationException("mailseal-greyd exited: " + daemon.Stderr));
                return;
            }

            lock (daemon._stderr)
            {
                if (daemon._stderr.Length < 4 << 20)
                    daemon._stderr.AppendLine(e.Data);
            }

            if (ListeningLine().Match(e.Data) is { Success: true } m)
                port.TrySetResult(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        };
        process.BeginErrorReadLine();
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        try
        {
            daemon.EndPoint = new IPEndPoint(IPAddress.Loopback, await port.Task.WaitAsync(TimeSpan.FromSeconds(30)));
            return daemon;
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    public static string Request(string client, string sender, string recipient, string instance) =>
        $"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address={client}\nclient_name=unknown\nsender={sender}\nrecipient={recipient}\ninstance={instance}\n\n";

    /// <summary>Sends bytes, then reads until a reply's blank line or the server closes.</summary>
    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(EndPoint, cancellationToken);
        try
        {
            await socket.SendAsync(payload, SocketFlags.None, cancellationToken);
        }
        catch (SocketException)
        {
            // The server may hang up while we still send garbage.
        }

        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n == 0)
                    break;
                received.Write(buffer, 0, n);
                if (received.ToArray().AsSpan().EndsWith("\n\n"u8))
                    break;
            }
        }
        catch (SocketException)
        {
            // Reset by the server: no reply.
        }

        return received.ToArray();
    }

    public Task<string> AskAsync(string request) =>
        ExchangeAsync(Encoding.ASCII.GetBytes(request)).ContinueWith(t => Encoding.UTF8.GetString(t.Result), TaskScheduler.Default);

    /// <summary>SIGKILL: no shutdown code runs.</summary>
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
        await KillAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on ""?inet:127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
