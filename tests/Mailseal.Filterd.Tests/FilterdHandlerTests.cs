using System.Net;
using System.Text;
using Mailseal.Testing;
using Mailseal.Core.Keys;
using Mailseal.Pipeline.Processing;
using Mailseal.Pipeline.Server;
using Mailseal.Pipeline.Smtp;
using Serilog;

namespace Mailseal.Filterd.Tests;

/// <summary>
/// mailseal-filterd's promise, in-process with real keys, the real encryptor, a scripted
/// re-injection smtpd and gpg as the oracle: every recipient of a message in one transaction,
/// 250 only after every copy's final dot was accepted, 4xx for every failure with nothing queued.
/// </summary>
public sealed class FilterdHandlerTests : IAsyncDisposable
{
    private const string Message =
        "Received: from mx.example.com (mx.example.com [192.0.2.1])\r\n\tby mail.example.org (Postfix) with ESMTP id 1\r\n" +
        "From: Carol <carol@example.com>\r\nTo: alice@example.org, bob@example.org, dave@example.net\r\n" +
        "Subject: lunch\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: 8bit\r\n\r\nShall we meet at noon? Caf\u00e9 at the corner.\r\n.a line starting with a dot\r\n";

    private readonly TestGpg _alice = new();
    private readonly TestGpg _bob = new();
    private readonly InMemoryKeyDirectory _keys = new(new KeyDirectoryOptions { LocalDomains = ["example.org"] });
    private readonly List<Func<ValueTask>> _cleanup = [];

    public FilterdHandlerTests()
    {
        _keys.AddKeyData("alice@example.org", _alice.GenerateKey("alice@example.org"));
        _keys.AddKeyData("bob@example.org", _bob.GenerateKey("bob@example.org"));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _cleanup)
            await c();
        _alice.Dispose();
        _bob.Dispose();
    }

    private async Task<EndPoint> StartAsync(string reinjectEndpoint, Func<PipeOptions, PipeOptions>? change = null)
    {
        var options = new PipeOptions
        {
            SpamCheck = false,
            Reinject = new ReinjectorOptions { Mode = ReinjectionMode.Smtp, SmtpEndpoint = reinjectEndpoint, ReplyTimeout = TimeSpan.FromSeconds(5) },
        };
        if (change is not null)
            options = change(options);
        var handler = new FilterdHandler(new FilterdRuntime(new MessageProcessor(options, _keys), _keys), new LoggerConfiguration().CreateLogger());
        var listener = new SmtpListener(handler, new SmtpServerOptions(), new LoggerConfiguration().CreateLogger());
        var ep = listener.Listen([SmtpListener.ParseEndpoint("inet:127.0.0.1:0")])[0];
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => listener.RunAsync(stop.Token, CancellationToken.None));
        _cleanup.Add(async () =>
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(30));
            await listener.DisposeAsync();
            stop.Dispose();
        });
        await Task.Yield();
        return ep;
    }

    /// <summary>One transaction as Postfix's smtp client sends it (with XFORWARD); returns the reply to the end of DATA.</summary>
    private static async Task<string> SendAsync(EndPoint ep, string message, params string[] recipients)
    {
        await using var client = await SmtpTestClient.ConnectAsync(ep);
        Assert.StartsWith("220", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO mail.example.org"));
        Assert.StartsWith("250", await client.CommandAsync("XFORWARD NAME=mx.example.com ADDR=192.0.2.1 PROTO=ESMTP HELO=mx.example.com"));
        Assert.StartsWith("250", await client.CommandAsync("XFORWARD IDENT=4FzQ1x2Abc SOURCE=REMOTE"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<carol@example.com> BODY=8BITMIME"));
        foreach (string r in recipients)
            Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<{r}>"));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        var stuffed = string.Join("\r\n", message.Split("\r\n").Select(l => l.StartsWith('.') ? "." + l : l));
        await client.SendAsync(stuffed + ".\r\n");
        string reply = (await client.ReadReplyAsync(TimeSpan.FromSeconds(60)))!;
        await client.CommandAsync("QUIT");
        return reply;
    }

    private static byte[] Armored(string data)
    {
        int start = data.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        int end = data.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "no armored PGP message in: " + data[..Math.Min(400, data.Length)]);
        return Encoding.ASCII.GetBytes(data[start..(end + 25)] + "\n");
    }

    [Fact]
    public async Task Every_recipient_in_one_transaction_gets_its_own_copy_and_250_comes_after_every_final_dot()
    {
        await using var smtp = new FakeSmtpServer(ehloExtensions: "250-PIPELINING\r\n250-8BITMIME\r\n250-XFORWARD NAME ADDR PROTO HELO IDENT SOURCE\r\n250 SMTPUTF8");
        var ep = await StartAsync(smtp.Endpoint);
        string reply = await SendAsync(ep, Message, "alice@example.org", "bob@example.org", "dave@example.net");

        Assert.StartsWith("250 2.0.0 Ok: 3 recipient(s) re-injected", reply);
        Assert.Equal(3, smtp.Sessions.Count);
        Assert.All(smtp.Sessions, s => Assert.True(s.FinalDotReceived)); // every copy queued before the 250

        var alice = smtp.Sessions.Single(s => s.Commands.Contains("RCPT TO:<alice@example.org>"));
        Assert.DoesNotContain("RCPT TO:<bob@example.org>", alice.Commands);
        Assert.Contains("XFORWARD NAME=mx.example.com ADDR=192.0.2.1 PROTO=ESMTP HELO=mx.example.com IDENT=4FzQ1x2Abc SOURCE=REMOTE", alice.Commands);
        Assert.DoesNotContain("noon", alice.Data.ToString());
        string plain = Encoding.UTF8.GetString(_alice.Decrypt(Armored(alice.Data.ToString())));
        Assert.Contains("Shall we meet at noon? Caf\u00e9 at the corner.", plain);
        Assert.Contains("\n.a line starting with a dot", plain.ReplaceLineEndings("\n"));
        Assert.NotEqual(0, _bob.TryDecrypt(Armored(alice.Data.ToString())).Exit); // alice's copy is hers alone

        var bob = smtp.Sessions.Single(s => s.Commands.Contains("RCPT TO:<bob@example.org>"));
        Assert.Contains("noon", Encoding.UTF8.GetString(_bob.Decrypt(Armored(bob.Data.ToString()))));

        var dave = smtp.Sessions.Single(s => s.Commands.Contains("RCPT TO:<dave@example.net>"));
        Assert.Contains("Shall we meet at noon?", dave.Data.ToString()); // not local: unchanged
    }

    [Fact]
    public async Task The_reinjection_server_down_answers_451_and_Postfix_keeps_the_message()
    {
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var ep = await StartAsync($"inet:127.0.0.1:{port}");
        string reply = await SendAsync(ep, Message, "alice@example.org", "dave@example.net");
        Assert.StartsWith("451 4.3.0", reply);
    }

    [Fact]
    public async Task A_refused_final_dot_on_any_copy_answers_451()
    {
        await using var smtp = new FakeSmtpServer(new Dictionary<string, string> { ["."] = "452 4.3.1 Insufficient system storage" });
        var ep = await StartAsync(smtp.Endpoint);
        string reply = await SendAsync(ep, Message, "alice@example.org");
        Assert.StartsWith("451 4.3.0", reply);
        Assert.Contains("452 4.3.1", reply);
    }

    [Fact]
    public async Task A_local_recipient_without_a_key_answers_451_and_nothing_is_reinjected()
    {
        await using var smtp = new FakeSmtpServer();
        var ep = await StartAsync(smtp.Endpoint);
        string reply = await SendAsync(ep, Message, "alice@example.org", "nokey@example.org");
        Assert.StartsWith("451 4.7.5", reply);
        Assert.DoesNotContain(smtp.Sessions, s => s.FinalDotReceived);
    }

    [Fact]
    public async Task Missing_key_bounce_policy_answers_554()
    {
        await using var smtp = new FakeSmtpServer();
        var ep = await StartAsync(smtp.Endpoint, o => o with { MissingKey = MissingKeyPolicy.Bounce });
        string reply = await SendAsync(ep, Message, "nokey@example.org");
        Assert.StartsWith("554 5.7.5", reply);
    }

    [Fact]
    public async Task A_reinjection_server_that_hangs_is_answered_451_within_the_reinject_timeout()
    {
        await using var smtp = new FakeSmtpServer(new Dictionary<string, string> { ["DATA"] = "354 go ahead" });
        using var hang = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        hang.Start(); // accepts (in the kernel) and never says a word
        var ep = await StartAsync($"inet:127.0.0.1:{((IPEndPoint)hang.LocalEndpoint).Port}", o => o with { Reinject = o.Reinject with { ReplyTimeout = TimeSpan.FromSeconds(1) } });
        var started = DateTime.UtcNow;
        string reply = await SendAsync(ep, Message, "alice@example.org");
        Assert.StartsWith("451 4.3.0", reply);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }
}
