using System.Text;
using Mailseal.Pipeline.Spam;

namespace Mailseal.Pipeline.Tests.Spam;

public class SpamdClientTests
{
    private static readonly byte[] Gtube = FakeSpamd.Recorded("gtube.eml");
    private static readonly byte[] Ham = FakeSpamd.Recorded("ham.eml");

    [Fact]
    public async Task Gtube_is_spam_and_only_x_spam_fields_are_kept()
    {
        await using var spamd = FakeSpamd.OnTcp(() => FakeSpamd.Recorded("gtube.reply"));
        var client = new SpamdClient(new SpamdClientOptions { Endpoint = spamd.Endpoint });

        var verdict = await client.CheckAsync(Gtube, CancellationToken.None);

        Assert.True(verdict.IsSpam);
        Assert.Equal(1001.1, verdict.Score, 3);
        Assert.Equal(5.0, verdict.Threshold, 3);
        Assert.Equal(
            ["X-Spam-Checker-Version", "X-Spam-Flag", "X-Spam-Level", "X-Spam-Status"],
            verdict.Headers.Select(h => h[..h.IndexOf(':', StringComparison.Ordinal)]));
        // folded continuation lines stay with their field, and nothing of report_safe's rewrite leaks in
        string status = verdict.Headers.Single(h => h.StartsWith("X-Spam-Status:", StringComparison.Ordinal));
        Assert.Contains("\r\n\tautolearn_force=no version=4.0.1\r\n", status, StringComparison.Ordinal);
        Assert.DoesNotContain(verdict.Headers, h => h.Contains("Content-Type", StringComparison.OrdinalIgnoreCase));
        Assert.All(verdict.Headers, h => Assert.EndsWith("\r\n", h, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ham_is_not_spam()
    {
        await using var spamd = FakeSpamd.OnTcp(() => FakeSpamd.Recorded("ham.reply"));
        var verdict = await new SpamdClient(new SpamdClientOptions { Endpoint = spamd.Endpoint }).CheckAsync(Ham, CancellationToken.None);

        Assert.False(verdict.IsSpam);
        Assert.Equal(1.1, verdict.Score, 3);
        Assert.Equal(3, verdict.Headers.Count);
        Assert.DoesNotContain(verdict.Headers, h => h.StartsWith("X-Spam-Flag", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_is_exactly_spamc15_headers()
    {
        await using var spamd = FakeSpamd.OnTcp(() => FakeSpamd.Recorded("ham.reply"));
        var client = new SpamdClient(new SpamdClientOptions { Endpoint = spamd.Endpoint, User = "bob\r\nEvil: 1" });
        await client.CheckAsync(Ham, CancellationToken.None);

        byte[] expectedHead = Encoding.ASCII.GetBytes($"HEADERS SPAMC/1.5\r\nContent-length: {Ham.Length}\r\nUser: bobEvil:1\r\n\r\n");
        byte[] request = Assert.Single(spamd.Requests);
        Assert.Equal(expectedHead.Concat(Ham).ToArray(), request);
    }

    [Fact]
    public async Task Works_over_unix_socket()
    {
        string dir = Directory.CreateTempSubdirectory("mailseal-spamd").FullName;
        try
        {
            await using var spamd = FakeSpamd.OnUnix(Path.Combine(dir, "spamd.sock"), () => FakeSpamd.Recorded("gtube.reply"));
            var verdict = await new SpamdClient(new SpamdClientOptions { Endpoint = spamd.Endpoint }).CheckAsync(Gtube, CancellationToken.None);
            Assert.True(verdict.IsSpam);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Error_status_is_reported_with_spamds_words()
    {
        await using var spamd = FakeSpamd.OnTcp(() => FakeSpamd.Recorded("bad-request.reply"));
        var e = await Assert.ThrowsAsync<SpamdException>(() =>
            new SpamdClient(new SpamdClientOptions { Endpoint = spamd.Endpoint }).CheckAsync(Ham, CancellationToken.None));
        Assert.Contains("76 Bad header line", e.Message, StringComparison.Ordinal);
        Assert.True(e.IsTransient);
    }

    [Fact]
    public async Task Refused_connection_is_transient()
    {
        // bind and release a port so nothing listens there
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var e = await Assert.ThrowsAsync<SpamdException>(() =>
            new SpamdClient(new SpamdClientOptions { Endpoint = $"127.0.0.1:{port}" }).CheckAsync(Ham, CancellationToken.None));
        Assert.True(e.IsTransient);
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silent_server_times_out_within_the_limit()
    {
        await using var spamd = FakeSpamd.OnTcp(() => null, silent: true);
        var client = new SpamdClient(new SpamdClientOptions { Endpoint = spamd.Endpoint, Timeout = TimeSpan.FromMilliseconds(300) });
        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SpamdException>(() => client.CheckAsync(Ham, CancellationToken.None));
        Assert.Contains("no answer within", e.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Closed_without_reply_is_an_error()
    {
        await using var spamd = FakeSpamd.OnTcp(() => null);
        var e = await Assert.ThrowsAsync<SpamdException>(() =>
            new SpamdClient(new SpamdClientOptions { Endpoint = spamd.Endpoint }).CheckAsync(Ham, CancellationToken.None));
        Assert.Contains("without a reply", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_reply_is_refused()
    {
        byte[] huge = Encoding.ASCII.GetBytes("SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n\r\n" + new string('x', 300_000));
        await using var spamd = FakeSpamd.OnTcp(() => huge);
        var client = new SpamdClient(new SpamdClientOptions { Endpoint = spamd.Endpoint, MaxResponseSize = 64 * 1024 });
        var e = await Assert.ThrowsAsync<SpamdException>(() => client.CheckAsync(Ham, CancellationToken.None));
        Assert.Contains("more than 65536 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_reply_is_refused()
    {
        byte[] reply = FakeSpamd.Recorded("gtube.reply");
        var e = Assert.Throws<SpamdException>(() => SpamdClient.ParseHeadersReply(reply.AsSpan(0, reply.Length - 10), "test"));
        Assert.Contains("announced 644", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 1 / 5\r\n\r\n", "malformed Spam header")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nSpam: True ; x / 5\r\n\r\n", "malformed Spam header")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n", "no Spam: header")]
    [InlineData("HTTP/1.0 200 OK\r\n\r\n", "malformed status line")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nno colon here\r\n\r\n", "malformed header")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1 / 5", "no end of headers")]
    public void Malformed_replies_give_one_line_errors(string reply, string expected)
    {
        var e = Assert.Throws<SpamdException>(() => SpamdClient.ParseHeadersReply(Encoding.ASCII.GetBytes(reply), "test"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_over_max_size_is_the_callers_decision()
    {
        var client = new SpamdClient(new SpamdClientOptions { Endpoint = "127.0.0.1:1", MaxMessageSize = 10 });
        await Assert.ThrowsAsync<ArgumentException>(() => client.CheckAsync(new byte[11], CancellationToken.None));
    }

    [Fact]
    public async Task Ping_gets_pong()
    {
        await using var spamd = FakeSpamd.OnTcp(() => FakeSpamd.Recorded("ping.reply"));
        await new SpamdClient(new SpamdClientOptions { Endpoint = spamd.Endpoint }).PingAsync(CancellationToken.None);
        Assert.Equal("PING SPAMC/1.5\r\n\r\n", Encoding.ASCII.GetString(Assert.Single(spamd.Requests)));
    }
}
