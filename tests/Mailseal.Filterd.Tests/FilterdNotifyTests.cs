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
public sealed class FilterdNotifyTests
{
    [Fact]
    public async Task It_sends_READY_only_once_it_accepts_and_STOPPING_on_SIGTERM()
    {
        await using var daemon = NotifiedDaemon.Start("mailseal-filterd", "[filterd]\nspam_check = false\n", (dir, port) => ["--key-dir", dir, "--listen", $"inet:127.0.0.1:{port}", "--reinject", "smtp:127.0.0.1:9", "--syslog-socket", Path.Combine(dir, "no-syslog")]);

        var ready = await daemon.ReceiveAsync();
        Assert.Equal(["READY=1", "MAINPID=" + daemon.Process.Id.ToString(CultureInfo.InvariantCulture)], ready.Split('\n'));
        // READY means accepting: the first connection after it gets the greeting.
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, daemon.Port);
            var buffer = new byte[512];
            int n = await client.GetStream().ReadAsync(buffer);
            Assert.StartsWith("220", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
        }

        daemon.Terminate();
        Assert.Equal("STOPPING=1", await daemon.ReceiveAsync());
        Assert.True(daemon.Process.WaitForExit(20_000), "mailseal-filterd did not stop on SIGTERM");
        Assert.Equal(0, daemon.Process.ExitCode);
    }
}
