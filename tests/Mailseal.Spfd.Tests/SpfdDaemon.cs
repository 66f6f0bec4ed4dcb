using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Mailseal.Testing;

namespace Mailseal.Spfd.Tests;

/// <summary>The real mailseal-spfd binary started as a daemon on a free 127.0.0.1 port; killed by pid on dispose.</summary>
internal sealed partial class SpfdDaemon : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private SpfdDaemon(Process process, IPEndPoint endPoint)
    {
        _process = process;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; private set; }

    public int Pid => _process.Id;

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

    public static async Task<SpfdDaemon> StartAsync(params string[] args)
    {
        var info = new ProcessStartInfo(PublishedTools.Path("mailseal-spfd"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--listen", "inet:127.0.0.1:0", "--syslog-socket", "/nonexistent/log" }.Concat(args))
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start mailseal-spfd");
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var daemon = new SpfdDaemon(process, new IPEndPoint(IPAddress.Loopback, 0));
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                port.TrySetException(new InvalidOperationException("mailseal-spfd exited: " + daemon.Stderr));
                return;
            }

            lock (daemon._stderr)
                daemon._stderr.AppendLine(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } m)
                port.TrySetResult(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        };
        process.BeginErrorReadLine();
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        try
        {
            var p = await port.Task.WaitAsync(TimeSpan.FromSeconds(30));
            daemon.EndPoint = new IPEndPoint(IPAddress.Loopback, p);
            return daemon;
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>Sends bytes, then reads until the server closes; returns what it answered.</summary>
    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> payload, TimeSpan? pause = null, CancellationToken cancellationToken = default)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(EndPoint, cancellationToken);
        try
        {
            if (pause is { } delay)
            {
                foreach (var b in payload.ToArray())
                {
                    await socket.SendAsync(new[] { b }, SocketFlags.None, cancellationToken);
                    await Task.Delay(delay, cancellationToken);
                }
            }
            else
            {
                await socket.SendAsync(payload, SocketFlags.None, cancellationToken);
            }
        }
        catch (SocketException)
        {
            // The server may hang up while we still send garbage: that is the point.
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
                if (received.Length > 0 && received.ToArray().AsSpan().EndsWith("\n\n"u8))
                    break;
            }
        }
        catch (SocketException)
        {
            // Reset by the server: no reply.
        }

        return received.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"listening on ""?inet:127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
