using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Testing;

/// <summary>
/// A published native daemon started as systemd starts a Type=notify unit: NOTIFY_SOCKET names a
/// real AF_UNIX datagram socket in a scratch folder, which <see cref="ReceiveAsync"/> reads. The
/// daemon gets a free loopback port (<see cref="Port"/>) and is killed on dispose if still running.
/// </summary>
public sealed class NotifiedDaemon : IAsyncDisposable
{
    private readonly Socket _notify;
    private readonly Process _daemon;
    private readonly Task<string> _stderr;

    private NotifiedDaemon(string dir, Socket notify, int port, Process daemon)
    {
        Directory = dir;
        _notify = notify;
        Port = port;
        _daemon = daemon;
        _stderr = daemon.StandardError.ReadToEndAsync();
    }

    /// <summary>The scratch folder (config, key folder, notify socket); removed on dispose.</summary>
    public string Directory { get; }

    /// <summary>The loopback port the daemon was told to listen on.</summary>
    public int Port { get; }

    /// <summary>The daemon's process.</summary>
    public Process Process => _daemon;

    /// <summary>
    /// Starts <paramref name="tool"/> (a name PublishedTools knows) with <paramref name="config"/>
    /// as its mailseal.conf and the arguments <paramref name="arguments"/> builds from the
    /// scratch folder and the port.
    /// </summary>
    public static NotifiedDaemon Start(string tool, string config, Func<string, int, IEnumerable<string>> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string dir = System.IO.Directory.CreateTempSubdirectory(tool + "-notify").FullName;
        var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        string notifyPath = Path.Combine(dir, "notify");
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        File.WriteAllText(Path.Combine(dir, "mailseal.conf"), config);
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var psi = new ProcessStartInfo(PublishedTools.Path(tool)) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(Path.Combine(dir, "mailseal.conf"));
        foreach (string a in arguments(dir, port))
            psi.ArgumentList.Add(a);
        psi.Environment["NOTIFY_SOCKET"] = notifyPath;
        return new NotifiedDaemon(dir, notify, port, Process.Start(psi)!);
    }

    /// <summary>The next notification datagram; throws when none comes within 60 s (saying so if the daemon exited).</summary>
    public async Task<string> ReceiveAsync()
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            int n = await _notify.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no notification within 60 s" + (_daemon.HasExited ? "; the daemon exited: " + await _stderr.ConfigureAwait(false) : string.Empty));
        }
    }

    /// <summary>Sends SIGTERM, as systemctl stop does.</summary>
    public void Terminate() =>
        Process.Start("kill", ["-TERM", _daemon.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        if (!_daemon.HasExited)
            _daemon.Kill();
        _daemon.Dispose();
        _notify.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
