using System.Net;
using System.Text;
using Mailseal.Pipeline.Server;
using Mailseal.Pipeline.Smtp;
using Serilog;

using Mailseal.Testing;

namespace Mailseal.Pipeline.Tests.Server;

/// <summary>
/// The filter's SMTP/LMTP server, spoken to byte by byte as Postfix's smtp client does
/// (pipelined), and as a broken or hostile client would: every limit, every failure answered 4xx
/// only after the message was read to its end, the reply held until the handler says so.
/// </summary>
public sealed class SmtpListenerTests : IAsyncDisposable
{
    private readonly List<(SmtpListener Listener, CancellationTokenSource Stop, CancellationTokenSource Kill, Task Run)> _servers = [];

    private async Task<(SmtpListener Listener, EndPoint Endpoint, CancellationTokenSource Stop, Task Run)> StartAsync(ISmtpMessageHandler handler, SmtpServerOptions? options = null)
    {
        var listener = new SmtpListener(handler, options ?? new SmtpServerOptions(), new LoggerConfiguration().CreateLogger());
        var endpoint = listener.Listen([SmtpListener.ParseEndpoint("inet:127.0.0.1:0")])[0];
        var stop = new CancellationTokenSource();
        var kill = new CancellationTokenSource();
        var run = Task.Run(() => listener.RunAsync(stop.Token, kill.Token));
        _servers.Add((listener, stop, kill, run));
        await Task.Yield();
        return (listener, endpoint, stop, run);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (listener, stop, kill, run) in _servers)
        {
            await stop.CancelAsync();
            await kill.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(20));
            await listener.DisposeAsync();
            stop.Dispose();
            kill.Dispose();
        }
    }

    private static async Task<SmtpTestClient> GreetedAsync(EndPoint endpoint, string hello = "EHLO postfix.example.org")
    {
        var client = await SmtpTestClient.ConnectAsync(endpoint);
        Assert.StartsWith("220 ", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync(hello));
        return client;
    }

    /// <summary>Sends each command and checks that its reply starts as given.</summary>
    private static async Task ExpectRepliesAsync(SmtpTestClient client, params (string Command, string Reply)[] steps)
    {
        foreach (var (command, reply) in steps)
        {
            string? got = await client.CommandAsync(command);
            Assert.True(got is not null && got.StartsWith(reply, StringComparison.Ordinal), $"{command}: expected {reply}..., got {got}");
        }
    }

    [Fact]
    public async Task Ehlo_announces_pipelining_size_8bitmime_and_xforward()
    {
        var (_, ep, _, _) = await StartAsync(new RecordingHandler(), new SmtpServerOptions { MaxMessageSize = 123456 });
        await using var client = await SmtpTestClient.ConnectAsync(ep);
        Assert.StartsWith("220 localhost ESMTP", await client.ReadReplyAsync());
        string ehlo = (await client.CommandAsync("EHLO mx"))!;
        Assert.Contains("250-PIPELINING", ehlo);
        Assert.Contains("250-SIZE 123456", ehlo);
        Assert.Contains("250-8BITMIME", ehlo);
        Assert.Contains("XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE", ehlo);
        Assert.Equal("221 2.0.0 Bye", await client.CommandAsync("QUIT"));
    }

    [Fact]
    public async Task A_pipelined_transaction_is_unstuffed_exactly_and_only_CRLF_dot_CRLF_ends_it()
    {
        var handler = new RecordingHandler();
        var (_, ep, _, _) = await StartAsync(handler);
        await using var client = await SmtpTestClient.ConnectAsync(ep);
        Assert.StartsWith("220", await client.ReadReplyAsync());
        await client.SendAsync("EHLO mx\r\nMAIL FROM:<carol@example.com> SIZE=100 BODY=8BITMIME\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<\"odd name\"@example.org>\r\nDATA\r\n");
        Assert.StartsWith("250", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.0 Ok", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Ok", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Ok", await client.ReadReplyAsync());
        Assert.StartsWith("354", await client.ReadReplyAsync());
        // A stuffed dot, a bare LF "." LF (content, not the end: SMTP smuggling), a lone CR, 8-bit bytes.
        await client.SendAsync("Subject: x\r\n\r\n..leading dot\r\nsmuggle\n.\nMAIL FROM:<evil@example.net>\r\n.\rstill content\r\ncaf\u00e9\r\n.\r\n");
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());

        var (envelope, data) = Assert.Single(handler.Messages);
        Assert.Equal("carol@example.com", envelope.Sender);
        Assert.Equal(["alice@example.org", "\"odd name\"@example.org"], envelope.Recipients);
        Assert.Equal("Subject: x\r\n\r\n.leading dot\r\nsmuggle\n.\nMAIL FROM:<evil@example.net>\r\n\rstill content\r\ncaf\u00e9\r\n", Encoding.UTF8.GetString(data));
    }

    [Fact]
    public async Task The_end_of_data_is_answered_only_when_the_handler_returns()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler(async (_, m, ct) =>
        {
            await m.CopyToAsync(Stream.Null, ct);
            await release.Task;
            return RecordingHandler.Ok;
        });
        var (_, ep, _, _) = await StartAsync(handler);
        await using var client = await GreetedAsync(ep);
        await client.CommandAsync("MAIL FROM:<>");
        await client.CommandAsync("RCPT TO:<alice@example.org>");
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync("Subject: x\r\n\r\nbody\r\n.\r\n");
        Assert.True(await client.IsSilentAsync(TimeSpan.FromMilliseconds(500)), "the server answered before the handler returned");
        release.SetResult();
        Assert.StartsWith("250 2.0.0", await client.ReadReplyAsync());
    }

    [Fact]
    public async Task The_handler_reads_the_message_while_the_client_is_still_sending_it()
    {
        var firstKilobyte = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long total = 0;
        var handler = new RecordingHandler(async (_, m, ct) =>
        {
            byte[] buffer = new byte[4096];
            int n;
            while ((n = await m.ReadAsync(buffer, ct)) > 0)
            {
                total += n;
                if (total >= 1000)
                    firstKilobyte.TrySetResult();
            }

            return RecordingHandler.Ok;
        });
        var (_, ep, _, _) = await StartAsync(handler);
        await using var client = await GreetedAsync(ep);
        await client.CommandAsync("MAIL FROM:<a@example.com>");
        await client.CommandAsync("RCPT TO:<b@example.org>");
        await client.CommandAsync("DATA");
        string line = new string('x', 98) + "\r\n";
        await client.SendAsync(string.Concat(Enumerable.Repeat(line, 11)));
        // The rest (20 MB) is not sent yet: a server that buffers the message first never gets here.
        await firstKilobyte.Task.WaitAsync(TimeSpan.FromSeconds(10));
        byte[] chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(line, 10_000)));
        for (int i = 0; i < 20; i++)
            await client.SendAsync(chunk);
        await client.SendAsync(".\r\n");
        Assert.StartsWith("250", await client.ReadReplyAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(1100 + 20L * chunk.Length, total);
    }

    [Fact]
    public async Task A_failing_handler_is_answered_451_after_the_rest_of_the_message_and_the_session_goes_on()
    {
        var handler = new RecordingHandler((_, _, _) => throw new InvalidOperationException("key store down"));
        var (_, ep, _, _) = await StartAsync(handler);
        await using var client = await GreetedAsync(ep);
        await client.CommandAsync("MAIL FROM:<a@example.com>");
        await client.CommandAsync("RCPT TO:<b@example.org>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: x\r\n\r\n" + string.Concat(Enumerable.Repeat("QUIT\r\nRSET\r\n", 50_000)) + ".\r\n");
        Assert.StartsWith("451 4.3.0", await client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("RSET"));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_answered_552_whether_declared_or_not()
    {
        var handler = new RecordingHandler();
        var (_, ep, _, _) = await StartAsync(handler, new SmtpServerOptions { MaxMessageSize = 10_000 });
        await using var client = await GreetedAsync(ep);
        Assert.StartsWith("552 5.3.4", await client.CommandAsync("MAIL FROM:<a@example.com> SIZE=10001"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<a@example.com> SIZE=9000"));
        await client.CommandAsync("RCPT TO:<b@example.org>");
        await client.CommandAsync("DATA");
        await client.SendAsync(string.Concat(Enumerable.Repeat(new string('y', 998) + "\r\n", 11)) + ".\r\n");
        Assert.StartsWith("552 5.3.4", await client.ReadReplyAsync());
        Assert.Empty(handler.Messages);
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Over_long_command_lines_are_refused_and_bounded_and_too_many_errors_close_the_session()
    {
        var (_, ep, _, _) = await StartAsync(new RecordingHandler(), new SmtpServerOptions { MaxLineLength = 512, MaxErrors = 3 });
        await using var client = await GreetedAsync(ep);
        Assert.StartsWith("500 5.5.2", await client.CommandAsync("NOOP " + new string('a', 200_000)));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("NOOP"));
        Assert.StartsWith("500", await client.CommandAsync("WHAT"));
        Assert.StartsWith("500", await client.CommandAsync("EVER"));
        Assert.StartsWith("421 4.7.0", await client.ReadReplyAsync());
        Assert.Null(await client.ReadReplyAsync());
    }

    [Fact]
    public async Task Commands_out_of_sequence_and_bad_parameters_are_refused()
    {
        var (_, ep, _, _) = await StartAsync(new RecordingHandler());
        await using var client = await SmtpTestClient.ConnectAsync(ep);
        await client.ReadReplyAsync();
        Assert.StartsWith("503", await client.CommandAsync("MAIL FROM:<a@example.com>"));
        await client.CommandAsync("EHLO mx");
        await ExpectRepliesAsync(client,
            ("RCPT TO:<b@example.org>", "503"),
            ("DATA", "503"),
            ("MAIL FROM:a@example.com", "501"),
            ("MAIL FROM:<a@example.com> AUTH=<>", "555"),
            ("MAIL FROM:<a@example.com>", "250"),
            ("MAIL FROM:<a@example.com>", "503"),
            ("RCPT TO:<>", "501"),
            ("RCPT TO:<a\u0001b@example.org>", "501"),
            ("RCPT TO:<b@example.org> XRCPTFOO=1", "555"),
            ("DATA", "503"),
            ("BDAT 10 LAST", "502"));
    }

    [Fact]
    public async Task Recipients_beyond_the_limit_get_452()
    {
        var (_, ep, _, _) = await StartAsync(new RecordingHandler(), new SmtpServerOptions { MaxRecipients = 2 });
        await using var client = await GreetedAsync(ep);
        await client.CommandAsync("MAIL FROM:<a@example.com>");
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<b@example.org>"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<c@example.org>"));
        Assert.StartsWith("452 4.5.3", await client.CommandAsync("RCPT TO:<d@example.org>"));
    }

    [Fact]
    public async Task An_idle_client_is_closed_with_421_after_the_command_timeout()
    {
        var (_, ep, _, _) = await StartAsync(new RecordingHandler(), new SmtpServerOptions { CommandTimeout = TimeSpan.FromMilliseconds(300) });
        await using var client = await SmtpTestClient.ConnectAsync(ep);
        await client.ReadReplyAsync();
        Assert.StartsWith("421 4.4.2", await client.ReadReplyAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await client.ReadReplyAsync());
    }

    [Fact]
    public async Task A_client_that_stalls_in_DATA_is_dropped_and_nothing_is_accepted()
    {
        var handler = new RecordingHandler();
        var (_, ep, _, _) = await StartAsync(handler, new SmtpServerOptions { DataTimeout = TimeSpan.FromMilliseconds(300) });
        await using var client = await GreetedAsync(ep);
        await client.CommandAsync("MAIL FROM:<a@example.com>");
        await client.CommandAsync("RCPT TO:<b@example.org>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: half\r\n");
        Assert.Null(await client.ReadReplyAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(handler.Messages);
    }

    [Fact]
    public async Task Lmtp_answers_the_end_of_data_once_per_recipient()
    {
        var (_, ep, _, _) = await StartAsync(new RecordingHandler(), new SmtpServerOptions { Protocol = SmtpServerProtocol.Lmtp });
        await using var client = await SmtpTestClient.ConnectAsync(ep);
        Assert.Contains("LMTP", await client.ReadReplyAsync());
        Assert.StartsWith("502", await client.CommandAsync("EHLO mx"));
        Assert.StartsWith("250", await client.CommandAsync("LHLO mx"));
        await client.CommandAsync("MAIL FROM:<a@example.com>");
        await client.CommandAsync("RCPT TO:<b@example.org>");
        await client.CommandAsync("RCPT TO:<c@example.org>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: x\r\n\r\nhi\r\n.\r\n");
        Assert.StartsWith("250", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.ReadReplyAsync());
    }

    [Fact]
    public async Task Xforward_attributes_reach_the_handler_for_one_transaction_only()
    {
        var handler = new RecordingHandler();
        var (_, ep, _, _) = await StartAsync(handler);
        await using var client = await GreetedAsync(ep);
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("XFORWARD NAME=mx.example.com ADDR=192.0.2.1 PROTO=ESMTP"));
        Assert.Equal("250 2.0.0 Ok", await client.CommandAsync("XFORWARD HELO=mx.example.com IDENT=4FzQ1x2Abc SOURCE=REMOTE"));
        Assert.StartsWith("501", await client.CommandAsync("XFORWARD EVIL=1"));
        for (int i = 0; i < 2; i++)
        {
            await client.CommandAsync("MAIL FROM:<a@example.com>");
            if (i == 0)
                Assert.StartsWith("503", await client.CommandAsync("XFORWARD NAME=x"));
            await client.CommandAsync("RCPT TO:<b@example.org>");
            await client.CommandAsync("DATA");
            await client.SendAsync("Subject: x\r\n\r\nhi\r\n.\r\n");
            Assert.StartsWith("250", await client.ReadReplyAsync());
        }

        var first = handler.Messages[0].Envelope.Forward;
        Assert.Equal("192.0.2.1", first.Get("ADDR"));
        Assert.Equal("4FzQ1x2Abc", first.Get("IDENT"));
        Assert.Equal(["XFORWARD NAME=mx.example.com ADDR=192.0.2.1 PROTO=ESMTP HELO=mx.example.com SOURCE=REMOTE"], first.Commands(new HashSet<string> { "NAME", "ADDR", "PROTO", "HELO", "SOURCE" }));
        Assert.True(handler.Messages[1].Envelope.Forward.IsEmpty);
    }

    [Fact]
    public async Task Dsn_parameters_reach_the_handler_and_bad_ones_are_refused()
    {
        var handler = new RecordingHandler();
        var (_, ep, _, _) = await StartAsync(handler);
        await using var client = await SmtpTestClient.ConnectAsync(ep);
        await client.ReadReplyAsync();
        Assert.Contains("250-DSN", (await client.CommandAsync("EHLO postfix.example.org"))!);
        await ExpectRepliesAsync(client,
            ("MAIL FROM:<a@example.com> RET=BODY", "501 5.5.4 Bad RET"),
            ("MAIL FROM:<a@example.com> RET=HDRS ENVID=QQ314159 SIZE=10", "250"),
            ("RCPT TO:<b@example.org> NOTIFY=NEVER,SUCCESS", "501 5.5.4 Bad NOTIFY"),
            ("RCPT TO:<b@example.org> XRCPTFOO=1", "555 5.5.4 Unsupported option"),
            ("RCPT TO:<b@example.org> ORCPT=rfc822;b@example.org\u0000", "501 5.5.4 Bad ORCPT"),
            ("RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;B@example.org", "250"),
            ("RCPT TO:<c@example.org>", "250"));
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: x\r\n\r\nhi\r\n.\r\n");
        Assert.StartsWith("250", await client.ReadReplyAsync());
        await client.CommandAsync("MAIL FROM:<a@example.com>");
        await client.CommandAsync("RCPT TO:<b@example.org>");
        await client.CommandAsync("DATA");
        await client.SendAsync("Subject: y\r\n\r\nhi\r\n.\r\n");
        Assert.StartsWith("250", await client.ReadReplyAsync());

        var dsn = handler.Messages[0].Envelope.Dsn;
        Assert.Equal(" RET=HDRS ENVID=QQ314159", dsn.MailParameters());
        Assert.Equal(" NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;B@example.org", dsn.RecipientParameters("b@example.org"));
        Assert.Equal(string.Empty, dsn.RecipientParameters("c@example.org"));
        Assert.True(handler.Messages[1].Envelope.Dsn.IsEmpty);
    }

    [Fact]
    public async Task Sessions_beyond_the_limit_wait_for_their_greeting()
    {
        var (_, ep, _, _) = await StartAsync(new RecordingHandler(), new SmtpServerOptions { MaxSessions = 1 });
        await using var first = await GreetedAsync(ep);
        await using var second = await SmtpTestClient.ConnectAsync(ep);
        Assert.True(await second.IsSilentAsync(TimeSpan.FromMilliseconds(500)), "a second session was greeted beyond max_sessions");
        await first.CommandAsync("QUIT");
        Assert.StartsWith("220", await second.ReadReplyAsync());
    }

    [Fact]
    public async Task A_graceful_stop_finishes_the_message_in_flight_and_closes_idle_sessions_with_421()
    {
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler(async (_, m, ct) =>
        {
            reading.TrySetResult();
            await m.CopyToAsync(Stream.Null, ct);
            return RecordingHandler.Ok;
        });
        var (_, ep, stop, run) = await StartAsync(handler);
        await using var idle = await GreetedAsync(ep);
        await using var busy = await GreetedAsync(ep);
        await busy.CommandAsync("MAIL FROM:<a@example.com>");
        await busy.CommandAsync("RCPT TO:<b@example.org>");
        await busy.CommandAsync("DATA");
        await busy.SendAsync("Subject: x\r\n\r\n");
        await reading.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await stop.CancelAsync();
        Assert.StartsWith("421 4.3.2", await idle.ReadReplyAsync());
        using (var late = new System.Net.Sockets.TcpClient())
            await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(async () => await late.ConnectAsync((IPEndPoint)ep).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(run.IsCompleted);
        await busy.SendAsync("the rest\r\n.\r\n");
        Assert.StartsWith("250", await busy.ReadReplyAsync());
        Assert.StartsWith("421 4.3.2", await busy.CommandAsync("MAIL FROM:<a@example.com>"));
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
