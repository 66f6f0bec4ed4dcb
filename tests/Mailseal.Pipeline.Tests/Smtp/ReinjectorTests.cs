using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Pipeline.Smtp;

using Mailseal.Testing;

namespace Mailseal.Pipeline.Tests.Smtp;

/// <summary>
/// The re-injection cases on ours (<see cref="Reinjector"/>), and the cases only ours passes
/// (MailKitReinjectorTests shows what MailKit does in each).
/// </summary>
public sealed class ReinjectorTests : ReinjectionContract
{
    private protected override IReinjector Create(ReinjectorOptions options) => new Reinjector(options);

    [Fact]
    public async Task Orcpt_goes_on_as_received_also_without_notify()
    {
        // What Postfix's smtp client sends the filter for an aliased recipient: the original
        // address as ORCPT, no NOTIFY (the client asked for none). A bounce or success notice must
        // name that address, so it goes on unchanged (MailKit cannot do this: MailKitReinjectorTests).
        await using var server = new FakeSmtpServer(ehloExtensions: "250-PIPELINING\r\n250-DSN\r\n250 8BITMIME");
        var dsn = new DsnParameters();
        dsn.Add("bob@example.net", new RecipientDsn(null, "rfc822;alias+2Bx@example.org"));
        dsn.Add("carol@example.net", new RecipientDsn("SUCCESS", "rfc822;team@example.org"));
        await SendAsync(Smtp(server), "a@example.org", ["bob@example.net", "carol@example.net"], Writes("x\n"), false, null, dsn, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        AssertCommand("RCPT TO:<bob@example.net> ORCPT=rfc822;alias+2Bx@example.org", server.Commands);
        AssertCommand("RCPT TO:<carol@example.net> NOTIFY=SUCCESS ORCPT=rfc822;team@example.org", server.Commands);
    }


    [Fact]
    public async Task Delivers_with_the_envelope_given_and_returns_the_queue_id()
    {
        await using var server = new FakeSmtpServer();
        var result = await SendAsync(Smtp(server), "alice@example.org", ["bob@example.net", "carol@example.net"],
            Writes("Subject: hi\n\n.leading dot\nbody\n"), eightBit: false, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("4FzQ1x2Abc", result.QueueId);
        AssertCommands(
            ["EHLO localhost", "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.net>", "RCPT TO:<carol@example.net>", "DATA", "QUIT"],
            server.Commands);
        Assert.True(server.FinalDotReceived);
        Assert.Equal("Subject: hi\n\n..leading dot\nbody\n", server.Data.ToString());
    }

    [Fact]
    public async Task A_unicode_domain_with_an_ascii_local_part_goes_as_its_a_label_without_smtputf8()
    {
        // Postfix keeps a copy queued with SMTPUTF8 as needing it, and its LMTP client bounces it
        // at Dovecot 2.3 (no SMTPUTF8 offered); the A-label is the same domain (RFC 5890).
        await using var server = new FakeSmtpServer();
        await SendAsync(Smtp(server), "alice@bücher.example", ["bob@MÄIL.example", "jörg@mäil.example"], Writes("x\n"), eightBit: true, CancellationToken.None);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        AssertCommand("MAIL FROM:<alice@xn--bcher-kva.example> BODY=8BITMIME SMTPUTF8", server.Commands); // jörg needs it
        AssertCommand("RCPT TO:<bob@xn--mil-qla.example>", server.Commands);
        // the fake server reads each byte as one Latin-1 character
        AssertCommand(System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes("RCPT TO:<jörg@mäil.example>")), server.Commands);

        await using var ascii = new FakeSmtpServer();
        await SendAsync(Smtp(ascii), "", ["bob@mäil.example"], Writes("x\n"), eightBit: true, CancellationToken.None);
        await ascii.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        AssertCommand("MAIL FROM:<> BODY=8BITMIME", ascii.Commands);
        AssertCommand("RCPT TO:<bob@xn--mil-qla.example>", ascii.Commands);
    }

    [Fact]
    public async Task Sendmail_dialogue_runs_over_stdio()
    {
        var (result, got) = await ViaStubSendmailAsync(Writes("Subject: s\n\nbody\n"));
        Assert.Equal("STUB1", result.QueueId);
        Assert.Contains("MAIL FROM:<a@example.org>\nRCPT TO:<b@example.net>\nDATA\nSubject: s\n\nbody\n.\nQUIT", got, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_writer_runs_once_when_the_server_announces_size()
    {
        // The message may come from a pipe: it can be written once only (MailKit measures it by
        // writing it when the server announces SIZE, unless told not to).
        await using var server = new FakeSmtpServer();
        Assert.Contains("SIZE", server.EhloExtensions, StringComparison.Ordinal);
        int calls = 0;
        await SendAsync(Smtp(server), "a@example.org", ["b@example.net"], async (s, ct) =>
        {
            Interlocked.Increment(ref calls);
            await s.WriteAsync(Encoding.ASCII.GetBytes("Subject: once\n\nbody\n"), ct);
        }, eightBit: false);
        await server.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, calls);
        Assert.Equal("Subject: once\n\nbody\n", server.Data.ToString()); // no Date, no Message-Id added
        Assert.DoesNotContain(server.Commands, c => c.Contains("SIZE=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_that_stops_answering_is_a_reinjection_error_after_the_reply_timeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
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
        var options = new ReinjectorOptions { Mode = ReinjectionMode.Smtp, SmtpEndpoint = $"inet:127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", ReplyTimeout = TimeSpan.FromSeconds(1) };
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var send = SendAsync(options, "a@example.org", ["b@example.net"], Writes("x\n"), false, giveUp.Token);
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<ReinjectionException>(() => send);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"gave up after {(DateTime.UtcNow - started).TotalSeconds:0.#} s");
        listener.Stop();
        await Task.WhenAny(silent, Task.Delay(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Bare_cr_and_bare_lf_become_crlf_on_the_wire()
    {
        // The stub reads lines ending in LF and strips one CR before it: a bare CR sent as it is
        // would stay inside its line.
        var (_, got) = await ViaStubSendmailAsync(Writes("Subject: cr\n\none\rtwo\nthree\r\n.four\r"));
        Assert.Contains("DATA\nSubject: cr\n\none\ntwo\nthree\n..four\n.\nQUIT", got, StringComparison.Ordinal);
    }
}
