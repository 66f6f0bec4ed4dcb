using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mailseal.Testing;

namespace Mailseal.Filterd.Tests;

/// <summary>The published native mailseal-filterd, as an admin runs it: a message through it, then SIGTERM.</summary>
public sealed class FilterdBinaryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("filterd-bin").FullName;
    private readonly TestGpg _alice = new();

    public void Dispose()
    {
        _alice.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task The_native_daemon_encrypts_a_message_answers_250_and_exits_0_on_SIGTERM()
    {
        File.WriteAllBytes(Path.Combine(_dir, "alice@example.org.asc"), _alice.GenerateKey("alice@example.org"));
        File.WriteAllText(Path.Combine(_dir, "mailseal.conf"), "local_domains = example.org\n[filterd]\nspam_check = false\n");
        await using var smtp = new FakeSmtpServer(ehloExtensions: "250-8BITMIME\r\n250 XFORWARD NAME ADDR PROTO HELO");
        int port = FreePort();
        var psi = new ProcessStartInfo(PublishedTools.Path("mailseal-filterd")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "--config", Path.Combine(_dir, "mailseal.conf"), "--key-dir", _dir, "--listen", $"inet:127.0.0.1:{port}", "--reinject", "smtp:" + smtp.Endpoint["inet:".Length..], "--syslog-socket", Path.Combine(_dir, "no-syslog") })
            psi.ArgumentList.Add(a);
        using var daemon = Process.Start(psi)!;
        var stderr = daemon.StandardError.ReadToEndAsync();
        try
        {
            // Polled until it listens, up to 60 s (NotifiedDaemon's bound): a native start takes
            // milliseconds on an idle machine and seconds on a busy CI machine.
            SmtpTestClient? client = null;
            for (var deadline = DateTime.UtcNow.AddSeconds(60); client is null && DateTime.UtcNow < deadline;)
            {
                try
                {
                    client = await SmtpTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                }
                catch (SocketException)
                {
                    if (daemon.HasExited)
                        Assert.Fail("mailseal-filterd exited: " + await stderr);
                    await Task.Delay(100);
                }
            }

            Assert.NotNull(client);
            await using (client)
            {
                Assert.StartsWith("220", await client.ReadReplyAsync());
                Assert.StartsWith("250", await client.CommandAsync("EHLO mail.example.org"));
                Assert.StartsWith("250", await client.CommandAsync("XFORWARD ADDR=192.0.2.1 NAME=mx.example.com"));
                Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<carol@example.com>"));
                Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<alice@example.org>"));
                Assert.StartsWith("354", await client.CommandAsync("DATA"));
                await client.SendAsync("From: carol@example.com\r\nTo: alice@example.org\r\nSubject: native\r\n\r\nthe secret text\r\n.\r\n");
                Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync(TimeSpan.FromSeconds(60)));
            }

            var copy = Assert.Single(smtp.Sessions);
            Assert.True(copy.FinalDotReceived);
            Assert.Contains("XFORWARD NAME=mx.example.com ADDR=192.0.2.1", copy.Commands);
            Assert.DoesNotContain("the secret text", copy.Data.ToString());
            Assert.Contains("BEGIN PGP MESSAGE", copy.Data.ToString());

            Process.Start("kill", ["-TERM", daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            Assert.True(daemon.WaitForExit(20_000), "mailseal-filterd did not stop on SIGTERM");
            Assert.True(daemon.ExitCode == 0, "exit " + daemon.ExitCode + ": " + await stderr);
            Assert.Contains("stopped: 1 messages accepted", await stderr);
        }
        finally
        {
            if (!daemon.HasExited)
                daemon.Kill();
        }
    }

    [Fact]
    public async Task A_bad_setting_is_one_4xx_line_and_exit_75()
    {
        var psi = new ProcessStartInfo(PublishedTools.Path("mailseal-filterd"), ["--listen", "inet:localhost:10027", "--config", "/dev/null"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string err = await p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(20_000));
        Assert.Equal(75, p.ExitCode);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains("mailseal-filterd: ", err);
    }

    [Fact]
    public async Task The_man_page_names_the_tool_and_its_postfix_wiring()
    {
        var psi = new ProcessStartInfo(PublishedTools.Path("mailseal-filterd"), ["--generate-man-page"]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string page = await p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(20_000));
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("mailseal\\-filterd", page);
        Assert.Contains("smtpd_authorized_xforward_hosts", page);
        Assert.Contains("max\\-sessions", page);
    }
}
