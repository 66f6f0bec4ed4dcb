using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.EndToEnd.Tests.Pipe;

/// <summary>
/// A TCP relay on 127.0.0.1 between mailseal-pipe and the re-injection smtpd that SIGKILLs
/// mailseal-pipe in the middle of its DATA: once the smtpd has answered DATA with 354 and
/// <see cref="KillAfter"/> bytes of message content have passed through, the process whose pid
/// is in the pid file is killed. The relay then passes on what the kernel still delivers and the
/// end of the connection, as a network would, so the smtpd sees a client vanish mid-message.
/// </summary>
public sealed class KillInDataProxy : IAsyncDisposable
{
    private static readonly byte[] DataCommand = "\r\nDATA\r\n"u8.ToArray();
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly string _pidFile;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _armed = 1;

    private KillInDataProxy(TcpListener listener, IPEndPoint target, string pidFile, long killAfter)
    {
        _listener = listener;
        _target = target;
        _pidFile = pidFile;
        KillAfter = killAfter;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The port the relay listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes of message content (after the 354) to let through before the kill.</summary>
    public long KillAfter { get; }

    /// <summary>The pid killed, once it was.</summary>
    public int? KilledPid { get; private set; }

    /// <summary>Bytes of message content that had passed when the kill was sent.</summary>
    public long ContentBytesAtKill { get; private set; }

    /// <summary>Whether the smtpd's 354 was seen before the kill.</summary>
    public bool Saw354 { get; private set; }

    /// <summary>Starts a relay to <paramref name="target"/> that kills the pid in <paramref name="pidFile"/> once, in DATA.</summary>
    public static KillInDataProxy Start(IPEndPoint target, string pidFile, long killAfter)
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return new KillInDataProxy(l, target, pidFile, killAfter);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            var dataSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var toServer = ClientToServerAsync(client.Client, server.Client, dataSent);
            var toClient = ServerToClientAsync(server.Client, client.Client, dataSent.Task);
            await Task.WhenAll(toServer, toClient);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // one side went away; closing both ends below is what a network would do
        }
    }

    private async Task ClientToServerAsync(Socket from, Socket to, TaskCompletionSource dataSent)
    {
        var buffer = new byte[64 * 1024];
        var window = new List<byte>();
        var inData = false;
        long content = 0;
        while (true)
        {
            var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (n == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }

            var chunk = buffer.AsMemory(0, n);
            if (!inData && Volatile.Read(ref _armed) == 1)
            {
                // commands are short lines: look for DATA across chunk boundaries in a small window
                window.AddRange(chunk.Span.ToArray());
                var at = IndexOf(window, DataCommand);
                if (at >= 0)
                {
                    inData = true;
                    content = window.Count - (at + DataCommand.Length);
                    dataSent.TrySetResult();
                }
                else if (window.Count > 4096)
                {
                    window.RemoveRange(0, window.Count - DataCommand.Length);
                }
            }
            else if (inData)
            {
                content += n;
            }

            await to.SendAsync(chunk, SocketFlags.None, _stop.Token);
            if (inData && content >= KillAfter && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                var pid = int.Parse(File.ReadAllText(_pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                ContentBytesAtKill = content;
                KilledPid = pid;
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
        }
    }

    private async Task ServerToClientAsync(Socket from, Socket to, Task dataSent)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (n == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }

            if (dataSent.IsCompleted && Encoding.ASCII.GetString(buffer, 0, n).Contains("354 ", StringComparison.Ordinal))
            {
                Saw354 = true;
            }

            await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
        }
    }

    private static int IndexOf(List<byte> haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Count; i++)
        {
            var match = true;
            for (var j = 0; j < needle.Length && match; j++)
            {
                match = haystack[i + j] == needle[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}
