using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Mailseal.Testing;

/// <summary>
/// A published policy daemon (<c>mailseal-spfd</c>, <c>mailseal-greyd</c>) started on a free
/// 127.0.0.1 port: it is told to listen on port 0 and the port it chose is read from its
/// "listening on inet:..." line on stderr. Killed by its own process handle (SIGKILL) on dispose.
/// </summary>
public sealed partial class PolicyDaemon : IAsyncDisposable
{
    private const int MaxStderr = 4 << 20;

    private readonly Process _process;
    private readonly string _tool;
    private readonly StringBuilder _stderr = new();

    private PolicyDaemon(Process process, string tool)
    {
        _process = process;
        _tool = tool;
    }

    /// <summary>Where the daemon listens.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>The daemon's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>What the daemon wrote to stderr so far (the first 4 MiB).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    /// <summary>Starts <paramref name="tool"/> (a name <see cref="PublishedTools.Path"/> knows) with <c>--listen inet:127.0.0.1:0</c>, no syslog, and <paramref name="args"/>.</summary>
    public static async Task<PolicyDaemon> StartAsync(string tool, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var info = new ProcessStartInfo(PublishedTools.Path(tool))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--listen", "inet:127.0.0.1:0", "--syslog-socket", "/nonexistent/log" }.Concat(args))
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {tool}");
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var daemon = new PolicyDaemon(process, tool);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                port.TrySetException(new InvalidOperationException($"{tool} exited: " + daemon.Stderr));
                return;
            }

            lock (daemon._stderr)
            {
                if (daemon._stderr.Length < MaxStderr)
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
            daemon.EndPoint = new IPEndPoint(IPAddress.Loopback, await port.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false));
            return daemon;
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>A RCPT-state <c>smtpd_access_policy</c> request with these values.</summary>
    public static string Request(string client, string sender, string recipient, string instance) =>
        $"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address={client}\nclient_name=unknown\nsender={sender}\nrecipient={recipient}\ninstance={instance}\n\n";

    /// <summary>Resident memory of the daemon in KiB (VmRSS).</summary>
    public long ResidentKib()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        throw new InvalidOperationException($"no VmRSS for {_tool}");
    }

    /// <summary>
    /// Sends bytes on a new connection (one at a time with <paramref name="pause"/> between them,
    /// if given), then reads until a reply's blank line or until the server closes.
    /// </summary>
    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> payload, TimeSpan? pause = null, CancellationToken cancellationToken = default)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(EndPoint, cancellationToken).ConfigureAwait(false);
        try
        {
            if (pause is { } delay)
            {
                foreach (var b in payload.ToArray())
                {
                    await socket.SendAsync(new[] { b }, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                await socket.SendAsync(payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (SocketException)
        {
            // The server may hang up while we still send garbage: that is often the point.
        }

        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
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

    /// <summary>Sends one request on a new connection and returns the reply as text.</summary>
    public async Task<string> AskAsync(string request) =>
        Encoding.UTF8.GetString(await ExchangeAsync(Encoding.ASCII.GetBytes(request)).ConfigureAwait(false));

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    [GeneratedRegex(@"listening on ""?inet:127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
