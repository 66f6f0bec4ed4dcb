using System.Text;
using Mailseal.Pipeline.Smtp;

using Mailseal.Testing;

namespace Mailseal.Pipeline.Tests.Smtp;

public class ReinjectorTests
{
    private static Reinjector Smtp(FakeSmtpServer server) =>
        new(new ReinjectorOptions { Mode = ReinjectionMode.Smtp, SmtpEndpoint = server.Endpoint, ReplyTimeout = TimeSpan.FromSeconds(10) });

    private static Func<Stream, CancellationToken, Task> Writes(string text) =>
        async (s, ct) => await s.WriteAsync(Encoding.UTF8.GetBytes(text), ct);

    [Fact]
    public async Task Delivers_with_the_envelope_given_and_returns_the_queue_id()
    {
        await using var server = new FakeSmtpServer();
        var result = await Smtp(server).SendAsync("alice@example.org", ["bob@example.net", "carol@example.net"],
            Writes("Subject: hi\n\n.leading dot\nbody\n"), eightBit: false, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("4FzQ1x2Abc", result.QueueId);
        Assert.Equal(
            ["EHLO localhost", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.net>", "RCPT TO:<carol@example.net>", "DATA", "QUIT"],
            server.Commands);
        Assert.True(server.FinalDotReceived);
        Assert.Equal("Subject: hi\n\n..leading dot\nbody\n", server.Data.ToString());
    }

    [Fact]
    public async Task Null_sender_and_eight_bit_and_utf8()
    {
        await using var server = new FakeSmtpServer();
        await Smtp(server).SendAsync("", ["jörg@example.net"], Writes("x\n"), eightBit: true, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("MAIL FROM:<> BODY=8BITMIME SMTPUTF8", server.Commands);
    }

    [Fact]
    public async Task A_unicode_domain_with_an_ascii_local_part_goes_as_its_a_label_without_smtputf8()
    {
        // Postfix keeps a copy queued with SMTPUTF8 as needing it, and its LMTP client bounces it
        // at Dovecot 2.3 (no SMTPUTF8 offered); the A-label is the same domain (RFC 5890).
        await using var server = new FakeSmtpServer();
        await Smtp(server).SendAsync("alice@bücher.example", ["bob@MÄIL.example", "jörg@mäil.example"], Writes("x\n"), eightBit: true, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("MAIL FROM:<alice@xn--bcher-kva.example> BODY=8BITMIME SMTPUTF8", server.Commands); // jörg needs it
        Assert.Contains("RCPT TO:<bob@xn--mil-qla.example>", server.Commands);
        // the fake server reads each byte as one Latin-1 character
        Assert.Contains(System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes("RCPT TO:<jörg@mäil.example>")), server.Commands);

        await using var ascii = new FakeSmtpServer();
        await Smtp(ascii).SendAsync("", ["bob@mäil.example"], Writes("x\n"), eightBit: true, CancellationToken.None);
        await ascii.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("MAIL FROM:<> BODY=8BITMIME", ascii.Commands);
        Assert.Contains("RCPT TO:<bob@xn--mil-qla.example>", ascii.Commands);
    }

    [Fact]
    public async Task Dsn_parameters_go_on_mail_and_each_rcpt_when_the_server_offers_dsn()
    {
        await using var server = new FakeSmtpServer(ehloExtensions: "250-PIPELINING\r\n250-DSN\r\n250 8BITMIME");
        var dsn = new DsnParameters();
        Assert.True(dsn.TryTakeMailParameter("RET", "HDRS", out _));
        Assert.True(dsn.TryTakeMailParameter("ENVID", "QQ314159", out _));
        dsn.Add("bob@example.net", new RecipientDsn("SUCCESS,DELAY", "rfc822;bob@example.net"));
        await Smtp(server).SendAsync("a@example.org", ["bob@example.net", "carol@example.net"], Writes("x\n"), false, null, dsn, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(
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
        await Smtp(server).SendAsync("a@example.org", ["bob@example.net"], Writes("x\n"), false, null, dsn, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("MAIL FROM:<a@example.org>", server.Commands);
        Assert.Contains("RCPT TO:<bob@example.net>", server.Commands);
    }

    [Fact]
    public async Task A_failing_writer_queues_nothing()
    {
        await using var server = new FakeSmtpServer();
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => Smtp(server).SendAsync("a@example.org", ["b@example.net"],
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
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => Smtp(server).SendAsync("a@example.org", ["good@example.net", "bad@example.net"],
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
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => Smtp(server).SendAsync("a@example.org", ["b@example.net"],
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

        var r = new Reinjector(new ReinjectorOptions { Mode = ReinjectionMode.Smtp, SmtpEndpoint = $"inet:127.0.0.1:{port}" });
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => r.SendAsync("a@example.org", ["b@example.net"], Writes("x\n"), false, CancellationToken.None));
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil>\r\nRCPT TO:<x@example.net")]
    [InlineData("a\u0000b@example.net")]
    public async Task Malformed_addresses_never_reach_the_wire(string rcpt)
    {
        var r = new Reinjector(new ReinjectorOptions { Mode = ReinjectionMode.Smtp, SmtpEndpoint = "inet:127.0.0.1:9" });
        await Assert.ThrowsAsync<ReinjectionException>(() => r.SendAsync("a@example.org", [rcpt], Writes("x\n"), false, CancellationToken.None));
    }

    [Fact]
    public async Task Sendmail_that_cannot_start_is_a_reinjection_error()
    {
        var r = new Reinjector(new ReinjectorOptions { SendmailPath = "/nonexistent/sendmail" });
        var e = await Assert.ThrowsAsync<ReinjectionException>(() => r.SendAsync("a@example.org", ["b@example.net"], Writes("x\n"), false, CancellationToken.None));
        Assert.Contains("/nonexistent/sendmail", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sendmail_dialogue_runs_over_stdio()
    {
        // tests/Mailseal.Testing/TestData/stub-sendmail-bs.sh stands in for Postfix's sendmail -bs.
        string dir = Directory.CreateTempSubdirectory("mailseal-sendmail").FullName;
        try
        {
            string script = Path.Combine(dir, "sendmail");
            string log = Path.Combine(dir, "got");
            File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "stub-sendmail-bs.sh"), script);
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);

            var result = await new Reinjector(new ReinjectorOptions { SendmailPath = script, ReplyTimeout = TimeSpan.FromSeconds(10) })
                .SendAsync("a@example.org", ["b@example.net"], Writes("Subject: s\n\nbody\n"), false, CancellationToken.None);

            Assert.Equal("STUB1", result.QueueId);
            string got = File.ReadAllText(log);
            Assert.Contains("MAIL FROM:<a@example.org>\nRCPT TO:<b@example.net>\nDATA\nSubject: s\n\nbody\n.\nQUIT", got, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
