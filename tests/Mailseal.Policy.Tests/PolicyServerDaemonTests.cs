using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Policy.Tests;

public class PolicyServerDaemonTests
{
    private const string Request = "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@example.com\nrecipient=b@example.org\n\n";
    private const string Reply = "action=PREPEND X-Test: state=RCPT sender=a@example.com rcpt=b@example.org\n\n";

    [Fact]
    public async Task Serves_many_tcp_connections_at_once()
    {
        var log = new TestLog();
        await using var server = new PolicyServer(new EchoHandler(), new PolicyServerOptions(), log.Logger);
        var endPoint = server.Listen([PolicyEndpoint.Parse("inet:127.0.0.1:0")])[0];
        using var stop = new CancellationTokenSource();
        var run = server.RunAsync(stop.Token);

        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => PolicyClient.ExchangeAsync(endPoint, Request + Request, 2 * Reply.Length)));

        Assert.All(replies, r => Assert.Equal(Reply + Reply, r));
        Assert.Equal(400, server.RequestsServed);
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Serves_a_unix_socket_and_replaces_a_stale_one()
    {
        var dir = Directory.CreateTempSubdirectory("policy-test-");
        try
        {
            var path = Path.Combine(dir.FullName, "p.sock");
            // .NET unlinks a socket file when the socket is disposed; a crashed daemon leaves one behind.
            using (var python = System.Diagnostics.Process.Start("python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path]))
                await python.WaitForExitAsync();
            Assert.True(File.Exists(path), "python3 could not leave a stale socket file behind");

            await using var server = new PolicyServer(new EchoHandler(), new PolicyServerOptions(), new TestLog().Logger);
            var endPoint = server.Listen([PolicyEndpoint.Parse("unix:" + path)])[0];
            using var stop = new CancellationTokenSource();
            var run = server.RunAsync(stop.Token);
            Assert.Equal(Reply, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
            stop.Cancel();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Refuses_to_replace_a_file_that_is_not_a_socket()
    {
        var dir = Directory.CreateTempSubdirectory("policy-test-");
        try
        {
            var path = Path.Combine(dir.FullName, "important.txt");
            await File.WriteAllTextAsync(path, "keep me");
            await using var server = new PolicyServer(new EchoHandler(), new PolicyServerOptions(), new TestLog().Logger);
            Assert.Throws<IOException>(() => server.Listen([PolicyEndpoint.Parse("unix:" + path)]));
            Assert.Equal("keep me", await File.ReadAllTextAsync(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Connections_beyond_the_cap_are_closed_at_once()
    {
        var release = new TaskCompletionSource();
        var handler = new EchoHandler { Before = _ => release.Task };
        await using var server = new PolicyServer(handler, new PolicyServerOptions { MaxConnections = 3, HandlerTimeout = TimeSpan.FromSeconds(20) }, new TestLog().Logger);
        var endPoint = server.Listen([PolicyEndpoint.Parse("inet:127.0.0.1:0")])[0];
        using var stop = new CancellationTokenSource();
        var run = server.RunAsync(stop.Token);

        var held = Enumerable.Range(0, 3).Select(_ => PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length)).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (handler.Calls < 3 && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        Assert.Equal(3, handler.Calls);

        // The server closes the extra connection unread: the client sees end of stream, or a
        // reset when its request reached the server before the close (the kernel then resets).
        Assert.Equal(string.Empty, await PolicyClient.ExchangeOrResetAsync(endPoint, Request, Reply.Length));
        Assert.Equal(1, server.ConnectionsRefused);

        release.SetResult();
        Assert.All(await Task.WhenAll(held), r => Assert.Equal(Reply, r));
        // A client has its reply before the server has seen it hang up and freed the slot: a
        // connection made at once could still find three open and be refused (seen on a loaded
        // machine). Wait until the server has closed the held ones, then a new one must be served.
        deadline = DateTime.UtcNow.AddSeconds(10);
        while (server.ActiveConnections > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        Assert.Equal(0, server.ActiveConnections);
        Assert.Equal(Reply, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
        Assert.Equal(1, server.ConnectionsRefused);
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Handler_failure_closes_without_reply_and_the_daemon_lives_on()
    {
        var fail = true;
        var handler = new EchoHandler { Before = _ => fail ? throw new InvalidOperationException("boom") : Task.CompletedTask };
        var log = new TestLog();
        await using var server = new PolicyServer(handler, new PolicyServerOptions(), log.Logger);
        var endPoint = server.Listen([PolicyEndpoint.Parse("inet:127.0.0.1:0")])[0];
        using var stop = new CancellationTokenSource();
        var run = server.RunAsync(stop.Token);

        Assert.Equal(string.Empty, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
        Assert.Contains(log.Lines, l => l.Contains("boom", StringComparison.Ordinal));
        fail = false;
        Assert.Equal(Reply, await PolicyClient.ExchangeAsync(endPoint, Request, Reply.Length));
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Slow_handler_is_cut_off_by_the_handler_timeout()
    {
        var handler = new EchoHandler { Before = _ => Task.Delay(TimeSpan.FromSeconds(30)) };
        var server = new PolicyServer(handler, new PolicyServerOptions { HandlerTimeout = TimeSpan.FromMilliseconds(200) }, new TestLog().Logger);
        using var output = new MemoryStream();
        var ok = await server.ServeConnectionAsync(new MemoryStream(Encoding.UTF8.GetBytes(Request)), output, "t", CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(ok);
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void Inline_socket_completions_never_override_what_the_admin_set()
    {
        string? before = Environment.GetEnvironmentVariable(PolicyServer.InlineCompletionsVariable);
        try
        {
            Environment.SetEnvironmentVariable(PolicyServer.InlineCompletionsVariable, "0");
            PolicyServer.PreferInlineSocketCompletions();
            Assert.Equal("0", Environment.GetEnvironmentVariable(PolicyServer.InlineCompletionsVariable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(PolicyServer.InlineCompletionsVariable, before);
        }
    }
}
