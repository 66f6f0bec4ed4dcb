using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Filterd.Tests;

/// <summary>
/// The native mailseal-filterd under a systemd Type=notify unit: systemd's notify socket is a
/// real AF_UNIX datagram socket here, named by NOTIFY_SOCKET as systemd names it.
/// </summary>
public sealed class FilterdNotifyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("filterd-notify").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task It_sends_READY_only_once_it_accepts_and_STOPPING_on_SIGTERM()
    {
        var notifyPath = Path.Combine(_dir, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        File.WriteAllText(Path.Combine(_dir, "mailseal.conf"), "[filterd]\nspam_check = false\n");
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        var psi = new ProcessStartInfo(PublishedTools.Path("mailseal-filterd")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "--config", Path.Combine(_dir, "mailseal.conf"), "--key-dir", _dir, "--listen", $"inet:127.0.0.1:{port}", "--reinject", "smtp:127.0.0.1:9", "--syslog-socket", Path.Combine(_dir, "no-syslog") })
            psi.ArgumentList.Add(a);
        psi.Environment["NOTIFY_SOCKET"] = notifyPath;
        using var daemon = Process.Start(psi)!;
        var stderr = daemon.StandardError.ReadToEndAsync();
        try
        {
            var ready = await ReceiveAsync(notify, daemon, stderr);
            Assert.Equal(["READY=1", "MAINPID=" + daemon.Id.ToString(CultureInfo.InvariantCulture)], ready.Split('\n'));
            // READY means accepting: the first connection after it gets the greeting.
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                var buffer = new byte[512];
                int n = await client.GetStream().ReadAsync(buffer);
                Assert.StartsWith("220", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
            }

            Process.Start("kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            Assert.Equal("STOPPING=1", await ReceiveAsync(notify, daemon, stderr));
            Assert.True(daemon.WaitForExit(20_000), "mailseal-filterd did not stop on SIGTERM");
            Assert.Equal(0, daemon.ExitCode);
        }
        finally
        {
            if (!daemon.HasExited)
                daemon.Kill();
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket, Process daemon, Task<string> stderr)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("no notification within 60 s" + (daemon.HasExited ? "; the daemon exited: " + await stderr : string.Empty));
            throw;
        }
    }
}
