using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;

namespace Mailseal.Spfd.Tests;

/// <summary>
/// The native mailseal-spfd (the policy daemons: PolicyServer) under a systemd Type=notify unit: systemd's notify socket is a
/// real AF_UNIX datagram socket here, named by NOTIFY_SOCKET as systemd names it.
/// </summary>
public sealed class SpfdNotifyTests
{
    [Fact]
    public async Task It_sends_READY_only_once_it_accepts_and_STOPPING_on_SIGTERM()
    {
        await using var daemon = NotifiedDaemon.Start("mailseal-spfd", string.Empty, (dir, port) => ["--listen", $"inet:127.0.0.1:{port}", "--syslog-socket", Path.Combine(dir, "no-syslog")]);

        var ready = await daemon.ReceiveAsync();
        Assert.Equal(["READY=1", "MAINPID=" + daemon.Process.Id.ToString(CultureInfo.InvariantCulture)], ready.Split('\n'));
        // READY means accepting: a policy request right after it gets its answer.
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, daemon.Port);
            var stream = client.GetStream();
            await stream.WriteAsync("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=127.0.0.1\nsender=\nrecipient=bob@example.org\ninstance=1\n\n"u8.ToArray());
            var buffer = new byte[512];
            int n = await stream.ReadAsync(buffer);
            Assert.StartsWith("action=", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
        }

        daemon.Terminate();
        Assert.Equal("STOPPING=1", await daemon.ReceiveAsync());
        Assert.True(daemon.Process.WaitForExit(20_000), "mailseal-spfd did not stop on SIGTERM");
        Assert.Equal(0, daemon.Process.ExitCode);
    }
}
