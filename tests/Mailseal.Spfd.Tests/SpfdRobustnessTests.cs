using Mailseal.Testing;
using Xunit.Abstractions;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Spfd.Tests;

/// <summary>
/// The real daemon on 127.0.0.1 under 10,000 malformed or hostile requests (oversized lines,
/// binary, too many attributes, no '=', no blank line, EOF inside a request, slow clients,
/// 1,000 connections at once): it never answers garbage, never dies, stays within memory and
/// time bounds, and still answers a good request afterwards.
/// </summary>
public class SpfdRobustnessTests(ITestOutputHelper output)
{
    private const string Good = "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=127.0.0.1\nhelo_name=mx.example.com\nsender=a@example.com\nrecipient=b@example.org\ninstance=good.{0}\n\n";

    private static byte[] Hostile(int i, Random random)
    {
        switch (i % 6)
        {
            case 0: // one line far beyond 4096 bytes
                return Encoding.ASCII.GetBytes("request=smtpd_access_policy\nsender=" + new string('a', 5000 + random.Next(5000)) + "\n\n");
            case 1: // binary
                var bytes = new byte[200 + random.Next(2000)];
                random.NextBytes(bytes);
                bytes[0] = 0;
                bytes[^2] = (byte)'\n';
                bytes[^1] = (byte)'\n';
                return bytes;
            case 2: // too many attributes
                return Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 150).Select(n => $"a{n}=x\n")) + "\n");
            case 3: // line without '='
                return Encoding.ASCII.GetBytes("request=smtpd_access_policy\nthis is not an attribute\n\n");
            case 4: // EOF inside a request (the client closes after sending)
                return Encoding.ASCII.GetBytes("request=smtpd_access_policy\nclient_address=192.0.2.1\nsender=a@example.com\n");
            default: // CR/LF games and an empty request
                return Encoding.ASCII.GetBytes("\r\n\r\nrequest=smtpd_access_policy\r\n\0\r\n\r\n");
        }
    }

    [Fact]
    public async Task Ten_thousand_hostile_requests_get_no_reply_and_the_daemon_survives()
    {
        await using var daemon = await PolicyDaemon.StartAsync("mailseal-spfd",
            "--read-timeout", "2", "--idle-timeout", "2", "--max-connections", "1100", "--dns-servers", "127.0.0.1:9", "--lookup-time", "2");
        var total = Stopwatch.StartNew();

        Assert.EndsWith("\n\n", Encoding.UTF8.GetString(await daemon.ExchangeAsync(Encoding.ASCII.GetBytes(string.Format(null, Good, 0)))), StringComparison.Ordinal);
        var before = daemon.ResidentKib();

        var random = new Random(7208);
        var payloads = Enumerable.Range(0, 10_000).Select(i => Hostile(i, random)).ToList();
        var replied = 0;

        // 1,000 at once, 10 rounds: every hostile connection must end without one byte of reply.
        for (var round = 0; round < 10; round++)
        {
            var batch = payloads.Skip(round * 1000).Take(1000).Select(async p =>
            {
                var answer = await daemon.ExchangeAsync(p);
                if (answer.Length > 0)
                    Interlocked.Increment(ref replied);
            });
            await Task.WhenAll(batch).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.False(daemon.HasExited, "daemon died: " + daemon.Stderr);
        }

        var afterFirst = daemon.ResidentKib();

        // Slow clients: a request trickled one byte every 50 ms, never finished in 2 s, and a
        // client that connects and says nothing. Both are dropped by the timeouts, unanswered.
        var slow = Enumerable.Range(0, 50).Select(_ => daemon.ExchangeAsync(
            Encoding.ASCII.GetBytes("request=smtpd_access_policy\nsender=" + new string('s', 200) + "\n\n"), TimeSpan.FromMilliseconds(50)));
        var silent = Enumerable.Range(0, 50).Select(_ => daemon.ExchangeAsync(ReadOnlyMemory<byte>.Empty));
        var slowWatch = Stopwatch.StartNew();
        var slowAnswers = await Task.WhenAll(slow.Concat(silent)).WaitAsync(TimeSpan.FromSeconds(60));
        slowWatch.Stop();
        Assert.All(slowAnswers, a => Assert.Empty(a));
        Assert.True(slowWatch.Elapsed < TimeSpan.FromSeconds(20), $"slow clients held for {slowWatch.Elapsed}");

        Assert.Equal(0, replied);
        var good = Encoding.UTF8.GetString(await daemon.ExchangeAsync(Encoding.ASCII.GetBytes(string.Format(null, Good, 1))));
        Assert.StartsWith("action=PREPEND X-Comment: SPF check N/A for local connections", good, StringComparison.Ordinal);
        Assert.False(daemon.HasExited);

        var after = daemon.ResidentKib();
        output.WriteLine($"10,000 hostile requests + 100 slow/silent clients in {total.Elapsed.TotalSeconds:F1} s; RSS {before} KiB before, {afterFirst} KiB after the load, {after} KiB at the end");
        Assert.True(after - before < 200 * 1024, $"resident memory grew from {before} KiB to {after} KiB");
        Assert.True(after - afterFirst < 100 * 1024, $"resident memory kept growing: {afterFirst} KiB after the hostile load, {after} KiB later");
        Assert.True(total.Elapsed < TimeSpan.FromMinutes(3), $"took {total.Elapsed}");
        Assert.Contains("disconnecting without reply", daemon.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dns_server_that_never_answers_gives_temperror_within_lookup_time()
    {
        // A UDP "server" that reads every query and drops it.
        using var blackHole = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        blackHole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var queries = 0;
        var drain = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    await blackHole.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    Interlocked.Increment(ref queries);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var port = ((IPEndPoint)blackHole.LocalEndPoint!).Port;
        await using var daemon = await PolicyDaemon.StartAsync("mailseal-spfd", "--dns-servers", $"127.0.0.1:{port}", "--lookup-time", "1", "--temperror-defer", "True");
        var watch = Stopwatch.StartNew();
        var reply = Encoding.UTF8.GetString(await daemon.ExchangeAsync(Encoding.ASCII.GetBytes(
            "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.1\nhelo_name=mx.unreachable.example\nsender=a@unreachable.example\nrecipient=b@example.org\ninstance=t.1\n\n")));
        watch.Stop();
        stop.Cancel();
        await drain;

        Assert.StartsWith("action=DEFER_IF_PERMIT 4.7.24 Message deferred due to: temporary DNS error in processing", reply, StringComparison.Ordinal);
        Assert.Contains("s=helo;id=mx.unreachable.example;ip=192.0.2.1", reply, StringComparison.Ordinal);
        // The resolver alone would give up after 2 attempts of 2 s: an answer well before 4 s
        // is the 1 s lookup time ending the check (2.5 s left for a busy machine's scheduling).
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3.5), $"temperror took {watch.Elapsed} with Lookup_Time 1 s");
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"answered after {watch.Elapsed}: the black hole was not asked");
        Assert.True(queries > 0, "the black hole saw no query");
    }
}
