using Mailseal.Pipeline.Smtp;

using Mailseal.Testing;

namespace Mailseal.Pipeline.Tests.Smtp;

/// <summary>
/// Issue #11's probe: every re-injection case run on MailKit's SmtpClient
/// (<see cref="MailKitReinjector"/>, MailKit 4.18.2), and the cases it cannot do, each as a test
/// named MailKit_limitation_... that shows what MailKit does instead. These stay as long as the
/// re-injection is ours (docs/libraries.md): when one of them fails, MailKit has changed and the
/// swap is worth another look.
/// </summary>
public sealed class MailKitReinjectorTests : ReinjectionContract
{
    private protected override IReinjector Create(ReinjectorOptions options) => new MailKitReinjector(options);

    [Fact]
    public async Task MailKit_limitation_orcpt_is_always_the_rcpt_address_and_only_beside_notify()
    {
        // The case Postfix produces for every aliased recipient: RCPT TO:<bob@...> ORCPT=rfc822;alias@...
        // MailKit writes ORCPT from the RCPT mailbox itself (a private method) and only when
        // GetDeliveryStatusNotifications gives a NOTIFY; there is no hook for the original address.
        // Through filterd the notice would name the wrong recipient (FilterdStackTests's DSN case).
        await using var server = new FakeSmtpServer(ehloExtensions: "250-PIPELINING\r\n250-DSN\r\n250 8BITMIME");
        var dsn = new DsnParameters();
        dsn.Add("bob@example.net", new RecipientDsn(null, "rfc822;alias+2Bx@example.org"));
        dsn.Add("carol@example.net", new RecipientDsn("SUCCESS", "rfc822;team@example.org"));
        await SendAsync(Smtp(server), "a@example.org", ["bob@example.net", "carol@example.net"], Writes("x\n"), false, null, dsn, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        AssertCommand("RCPT TO:<bob@example.net>", server.Commands); // ORCPT dropped
        AssertCommand("RCPT TO:<carol@example.net> NOTIFY=SUCCESS ORCPT=rfc822;carol@example.net", server.Commands); // ORCPT replaced
    }

    [Fact]
    public async Task MailKit_limitation_a_streamed_message_gets_a_blank_line_before_it()
    {
        // SmtpClient sends a MimeMessage; MimeMessage.WriteTo is not virtual and writes the blank
        // line that ends the header block before the body whenever the body's header list "has a
        // separator" (internal; even a parsed header without one reports it). So a message that
        // arrives as bytes (header and body from the pipe or the encryptor) goes out with an empty
        // header block and its own header as body. The only exact route is MimeMessage.Load of the
        // complete message: a plaintext spool or the whole message in memory for a passed copy, and
        // no streaming. What the probe does get right: one write (GetSize overridden, no SIZE=),
        // dot-stuffing, no Date or Message-Id, the final dot, the queue id.
        await using var server = new FakeSmtpServer();
        int calls = 0;
        var result = await SendAsync(Smtp(server), "alice@example.org", ["bob@example.net"], async (s, ct) =>
        {
            Interlocked.Increment(ref calls);
            await s.WriteAsync("Subject: hi\n\n.leading dot\nbody\n"u8.ToArray(), ct);
        }, eightBit: false);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("\nSubject: hi\n\n..leading dot\nbody\n", server.Data.ToString());
        Assert.Equal(1, calls);
        Assert.DoesNotContain(server.Commands, c => c.Contains("SIZE=", StringComparison.Ordinal));
        Assert.True(server.FinalDotReceived);
        Assert.Equal("4FzQ1x2Abc", result.QueueId);
    }

    [Fact]
    public async Task MailKit_limitation_a_labels_go_back_to_u_labels_when_smtputf8_is_used()
    {
        // With SMTPUTF8 in use MailKit writes every address with GetAddress(idnEncode: false), which
        // turns an A-label back into its U-label: the copy for bob@xn--mil-qla.example goes as
        // bob@mäil.example, needs SMTPUTF8 all the way, and Postfix's LMTP client bounces it at
        // Dovecot 2.3 (the case of issue #10 that re-injection avoids by sending the A-label).
        await using var server = new FakeSmtpServer();
        await SendAsync(Smtp(server), "alice@bücher.example", ["bob@MÄIL.example", "jörg@mäil.example"], Writes("x\n"), eightBit: true);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        string Latin1(string s) => System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes(s)); // the fake server reads bytes as Latin-1
        AssertCommand(Latin1("RCPT TO:<bob@mäil.example>"), server.Commands);
        AssertCommand(Latin1("MAIL FROM:<alice@bücher.example> BODY=8BITMIME SMTPUTF8"), server.Commands);
    }

    [Fact]
    public async Task MailKit_limitation_no_reply_timeout_on_a_stream_it_did_not_open()
    {
        // SmtpClient.Timeout bounds reads on the sockets MailKit opens itself. Over Connect(Stream)
        // (sendmail -bs's pipes, or a socket connected by the caller to keep the RST abort) async
        // reads have no timeout: a server that stops answering holds the filter until cancelled.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var silent = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            await stream.WriteAsync("220 then nothing\r\n"u8.ToArray());
            var sink = new byte[4096];
            while (await stream.ReadAsync(sink) > 0)
            {
                // read, never answer
            }
        });
        var options = new ReinjectorOptions { Mode = ReinjectionMode.Smtp, SmtpEndpoint = $"inet:127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}", ReplyTimeout = TimeSpan.FromSeconds(1) };
        using var giveUp = new CancellationTokenSource();
        var send = SendAsync(options, "a@example.org", ["b@example.net"], Writes("x\n"), false, giveUp.Token);
        var finished = await Task.WhenAny(send, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.NotSame(send, finished); // still waiting 5 s after a 1 s reply timeout
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        listener.Stop();
        await Task.WhenAny(silent, Task.Delay(TimeSpan.FromSeconds(5)));
    }
}
