using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Pipeline.Smtp;

using Mailseal.Testing;

namespace Mailseal.Pipeline.Tests.Smtp;

/// <summary>
/// The re-injection cases both implementations pass: ours (<see cref="ReinjectorTests"/>) and
/// the MailKit probe of issue #11 (<see cref="MailKitReinjectorTests"/>). The cases MailKit fails
/// are in ReinjectorTests, each with a MailKit_limitation_ test beside the probe that shows what
/// MailKit does instead. ESMTP parameters are compared as a set (RFC 5321 4.1.2 gives them no order).
/// </summary>
public abstract class ReinjectionContract
{
    /// <summary>The implementation under test.</summary>
    private protected abstract IReinjector Create(ReinjectorOptions options);

    /// <summary>Sends one message with the implementation under test.</summary>
    private protected Task<ReinjectResult> SendAsync(ReinjectorOptions options, string sender, IReadOnlyList<string> recipients, Func<Stream, CancellationToken, Task> writeMessage, bool eightBit, XForward? forward, DsnParameters? dsn, CancellationToken cancellationToken) =>
        Create(options).SendAsync(sender, recipients, writeMessage, eightBit, forward, dsn, cancellationToken);

    private protected static ReinjectorOptions Smtp(FakeSmtpServer server) =>
        new() { Mode = ReinjectionMode.Smtp, SmtpEndpoint = server.Endpoint, ReplyTimeout = TimeSpan.FromSeconds(10) };

    private protected Task<ReinjectResult> SendAsync(ReinjectorOptions options, string sender, IReadOnlyList<string> recipients, Func<Stream, CancellationToken, Task> writeMessage, bool eightBit, CancellationToken cancellationToken = default) =>
        SendAsync(options, sender, recipients, writeMessage, eightBit, null, null, cancellationToken);

    private protected static Func<Stream, CancellationToken, Task> Writes(string text) =>
        async (s, ct) => await s.WriteAsync(Encoding.UTF8.GetBytes(text), ct);

    /// <summary>A command with its ESMTP parameters sorted: "MAIL FROM:&lt;a&gt; SMTPUTF8 BODY=8BITMIME" equals "MAIL FROM:&lt;a&gt; BODY=8BITMIME SMTPUTF8".</summary>
    private protected static string Normal(string command)
    {
        int close = command.IndexOf('>', StringComparison.Ordinal);
        if (close < 0 || !(command.StartsWith("MAIL FROM:", StringComparison.Ordinal) || command.StartsWith("RCPT TO:", StringComparison.Ordinal)))
            return command;
        var parameters = command[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        return string.Join(' ', parameters.Prepend(command[..(close + 1)]));
    }

    private protected static void AssertCommands(IEnumerable<string> expected, IEnumerable<string> actual) =>
        Assert.Equal(expected.Select(Normal), actual.Select(Normal));

    private protected static void AssertCommand(string expected, IEnumerable<string> actual) =>
        Assert.Contains(Normal(expected), actual.Select(Normal));

    /// <summary>Runs the stub sendmail -bs (tests/Mailseal.Testing/TestData/stub-sendmail-bs.sh) and returns what it received, line by line (a bare CR stays inside its line).</summary>
    private protected async Task<(ReinjectResult Result, string Got)> ViaStubSendmailAsync(Func<Stream, CancellationToken, Task> writeMessage)
    {
        string dir = Directory.CreateTempSubdirectory("mailseal-sendmail").FullName;
        try
        {
            string script = Path.Combine(dir, "sendmail");
            string log = Path.Combine(dir, "got");
            File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "stub-sendmail-bs.sh"), script);
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
            var result = await SendAsync(new ReinjectorOptions { SendmailPath = script, ReplyTimeout = TimeSpan.FromSeconds(10) }, "a@example.org", ["b@example.net"], writeMessage, false);
            return (result, File.ReadAllText(log));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Null_sender_and_eight_bit_and_utf8()
    {
        await using var server = new FakeSmtpServer();
        await SendAsync(Smtp(server), "", ["jörg@example.net"], Writes("x\n"), eightBit: true, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        AssertCommand("MAIL FROM:<> BODY=8BITMIME SMTPUTF8", server.Commands);
    }

    [Fact]
    public async Task Dsn_parameters_go_on_mail_and_each_rcpt_when_the_server_offers_dsn()
    {
        await using var server = new FakeSmtpServer(ehloExtensions: "250-PIPELINING\r\n250-DSN\r\n250 8BITMIME");
        var dsn = new DsnParameters();
        Assert.True(dsn.TryTakeMailParameter("RET", "HDRS", out _));
        Assert.True(dsn.TryTakeMailParameter("ENVID", "QQ314159", out _));
        dsn.Add("bob@example.net", new RecipientDsn("SUCCESS,DELAY", "rfc822;bob@example.net"));
        await SendAsync(Smtp(server), "a@example.org", ["bob@example.net", "carol@example.net"], Writes("x\n"), false, null, dsn, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        AssertCommands(
            ["EHLO localhost", "MAIL FROM:<a@example.org> RET=HDRS ENVID=QQ314159", "RCPT TO:<bob@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob@example.net", "RCPT TO:<carol@example.net>", "DATA", "QUIT"],
            server.Commands);
    }

    [Fact]
    public async Task Dsn_parameters_are_left_out_for_a_server_without_dsn()
    {
        await using var server = new FakeSmtpServer();
        var dsn = new DsnParameters();
        Assert.True(dsn.TryTakeMailParameter("RET", "FULL", out _));
        dsn.Add("bob@example.net", new RecipientDsn("NEVER", null));
        await SendAsync(Smtp(server), "a@example.org", ["bob@example.net"], Writes("x\n"), false, null, dsn, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        AssertCommand("MAIL FROM:<a@example.org>", server.Commands);
        AssertCommand("RCPT TO:<bob@example.net>", server.Commands);
    }

    [Fact]
    public async Task A_failing_writer_queues_nothing()
    {
        await using var server = new FakeSmtpServer();
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => SendAsync(Smtp(server), "a@example.org", ["b@example.net"],
            async (s, ct) =>
            {
                await s.WriteAsync(Encoding.ASCII.GetBytes("Subject: half\n\nfirst half of the body\n"), ct);
                throw new IOException("the encryptor died");
            }, eightBit: false, CancellationToken.None));
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(server.FinalDotReceived);
        Assert.Contains("nothing was queued", e.Message, StringComparison.Ordinal);
        Assert.Contains("the encryptor died", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_recipient_stops_before_data()
    {
        await using var server = new FakeSmtpServer(new() { ["RCPT TO:<bad@"] = "550 5.1.1 <bad@example.net>: Recipient address rejected" });
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => SendAsync(Smtp(server), "a@example.org", ["good@example.net", "bad@example.net"],
            Writes("x\n"), eightBit: false, CancellationToken.None));
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.DoesNotContain("DATA", server.Commands);
        Assert.Equal(550, e.Reply?.Code);
        Assert.Contains("RCPT TO:<bad@example.net>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_large_is_reported_with_the_remedy()
    {
        await using var server = new FakeSmtpServer(new() { ["."] = "552 5.3.4 Message size exceeds fixed limit" });
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => SendAsync(Smtp(server), "a@example.org", ["b@example.net"],
            Writes("x\n"), eightBit: false, CancellationToken.None));

        Assert.Equal("4.3.4", e.EnhancedStatus);
        Assert.Contains("552 5.3.4 Message size exceeds fixed limit", e.Message, StringComparison.Ordinal);
        Assert.Contains("message_size_limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_connection_is_a_reinjection_error()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var options = new ReinjectorOptions { Mode = ReinjectionMode.Smtp, SmtpEndpoint = $"inet:127.0.0.1:{port}" };
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => SendAsync(options, "a@example.org", ["b@example.net"], Writes("x\n"), false));
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil>\r\nRCPT TO:<x@example.net")]
    [InlineData("a\u0000b@example.net")]
    public async Task Malformed_addresses_never_reach_the_wire(string rcpt)
    {
        var options = new ReinjectorOptions { Mode = ReinjectionMode.Smtp, SmtpEndpoint = "inet:127.0.0.1:9" };
        await Assert.ThrowsAsync<ReinjectionException>(() => SendAsync(options, "a@example.org", [rcpt], Writes("x\n"), false));
    }

    [Fact]
    public async Task Sendmail_that_cannot_start_is_a_reinjection_error()
    {
        var options = new ReinjectorOptions { SendmailPath = "/nonexistent/sendmail" };
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => SendAsync(options, "a@example.org", ["b@example.net"], Writes("x\n"), false));
        Assert.Contains("/nonexistent/sendmail", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Xforward_goes_between_ehlo_and_mail_with_only_the_names_offered()
    {
        var forward = new XForward();
        Assert.True(forward.TryAdd("NAME=client.example.org ADDR=192.0.2.1 PORT=4711 HELO=client.example.org", out _));
        Assert.True(forward.TryAdd("IDENT=4FzQ1x2Abc SOURCE=REMOTE", out _));

        await using var server = new FakeSmtpServer(ehloExtensions: "250-PIPELINING\r\n250-XFORWARD NAME ADDR PROTO HELO SOURCE\r\n250 8BITMIME");
        await SendAsync(Smtp(server), "a@example.org", ["b@example.net"], Writes("x\n"), false, forward, null, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        AssertCommands(
            ["EHLO localhost", "XFORWARD NAME=client.example.org ADDR=192.0.2.1 HELO=client.example.org SOURCE=REMOTE", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>", "DATA", "QUIT"],
            server.Commands);

        await using var plain = new FakeSmtpServer();
        await SendAsync(Smtp(plain), "a@example.org", ["b@example.net"], Writes("x\n"), false, forward, null, CancellationToken.None);
        await plain.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(plain.Commands, c => c.StartsWith("XFORWARD", StringComparison.Ordinal));
    }

}
