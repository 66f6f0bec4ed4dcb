using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Mailseal.Testing;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Mailseal.Greyd.Tests;

/// <summary>
/// The real daemon on 127.0.0.1 with its SQLite store: hostile requests at 1,000 connections at
/// once (no reply, no death, bounded memory, still answering), and SIGKILL under load: every
/// triplet it answered for is in the database after a restart.
/// </summary>
public sealed class GreydRobustnessTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Args(params string[] extra) =>
    [
        "--store", "sqlite:" + Path.Combine(_dir.Path, "g.sqlite"), "--whitelist-clients", "/dev/null", "--whitelist-recipients", "/dev/null", .. extra,
    ];

    private static byte[] Hostile(int i, Random random) => (i % 5) switch
    {
        0 => Encoding.ASCII.GetBytes("request=smtpd_access_policy\nsender=" + new string('a', 5000 + random.Next(5000)) + "\n\n"),
        1 => [0, .. Enumerable.Range(0, 300).Select(_ => (byte)random.Next(256)), (byte)'\n', (byte)'\n'],
        2 => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 150).Select(n => $"a{n}=x\n")) + "\n"),
        3 => Encoding.ASCII.GetBytes("request=smtpd_access_policy\nthis is not an attribute\n\n"),
        _ => Encoding.ASCII.GetBytes("request=smtpd_access_policy\nclient_address=192.0.2.1\nsender=a@example.com\n"),
    };

    [Fact]
    public async Task Three_thousand_hostile_requests_at_a_thousand_connections_get_no_reply_and_memory_stays_bounded()
    {
        // The 1,000 good requests below ask the store all at once: on a loaded machine one of them
        // can wait past the default 1 s store timeout and be answered DUNNO (store unavailable, as
        // designed, and tested in GreylistHandlerTests). This test is about hostile input and
        // concurrency, so the store gets a timeout the load cannot reach.
        await using var daemon = await PolicyDaemon.StartAsync("mailseal-greyd", Args("--read-timeout", "2", "--idle-timeout", "2", "--max-connections", "1100", "--store-timeout", "60000"));
        Assert.StartsWith("action=DEFER_IF_PERMIT", await daemon.AskAsync(PolicyDaemon.Request("192.0.2.1", "a@x.example", "b@example.test", "g0")), StringComparison.Ordinal);
        var before = daemon.ResidentKib();
        var random = new Random(12);
        var replied = 0;
        var total = Stopwatch.StartNew();
        for (var round = 0; round < 3; round++)
        {
            var batch = Enumerable.Range(round * 1000, 1000).Select(i => Hostile(i, random)).Select(async p =>
            {
                if ((await daemon.ExchangeAsync(p)).Length > 0)
                    Interlocked.Increment(ref replied);
            });
            await Task.WhenAll(batch).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.False(daemon.HasExited, daemon.Stderr);
        }

        // 1,000 good requests on 1,000 connections at once: every one answered.
        var good = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i =>
            daemon.AskAsync(PolicyDaemon.Request($"198.51.{i % 200}.{i % 250}", $"s{i}@x.example", "b@example.test", $"c{i}")))).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(good, g => Assert.StartsWith("action=DEFER_IF_PERMIT", g, StringComparison.Ordinal));

        var after = daemon.ResidentKib();
        output.WriteLine($"3,000 hostile + 1,000 concurrent good requests in {total.Elapsed.TotalSeconds:F1} s; RSS {before} KiB before, {after} KiB after");
        Assert.Equal(0, replied);
        Assert.True(after - before < 200 * 1024, $"resident memory grew from {before} KiB to {after} KiB");
        Assert.Contains("disconnecting without reply", daemon.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killed_with_sigkill_under_load_and_restarted_it_loses_no_triplet_it_answered_for()
    {
        var answered = new System.Collections.Concurrent.ConcurrentBag<string>();
        var daemon = await PolicyDaemon.StartAsync("mailseal-greyd", Args());
        using var stop = new CancellationTokenSource();
        var port = daemon.EndPoint;

        // Eight clients, each on one connection, asking for new triplets as fast as they can.
        var load = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(port);
            var buffer = new byte[1024];
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var sender = $"c{c}n{n}@load.example";
                try
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes(PolicyDaemon.Request("192.0.2.5", sender, "b@example.test", $"{c}.{n}")), SocketFlags.None);
                    var got = await socket.ReceiveAsync(buffer, SocketFlags.None);
                    if (got == 0)
                        return;
                    if (Encoding.ASCII.GetString(buffer, 0, got).StartsWith("action=DEFER_IF_PERMIT", StringComparison.Ordinal))
                        answered.Add(sender);
                }
                catch (SocketException)
                {
                    return;
                }
            }
        })).ToList();

        // Kill once the load has had more than 100 answers, not after a fixed 2 s: a loaded machine
        // may answer fewer than that in 2 s, and the test is about the kill, not the throughput.
        var loaded = Stopwatch.StartNew();
        while (answered.Count <= 100 && loaded.Elapsed < TimeSpan.FromSeconds(60) && !load.All(t => t.IsCompleted))
            await Task.Delay(20);
        await daemon.KillAsync();
        await stop.CancelAsync();
        await Task.WhenAll(load);
        await daemon.DisposeAsync();
        Assert.True(answered.Count > 100, $"only {answered.Count} answers before the kill");

        // Restart (SQLite recovers the WAL on open), then look every answered triplet up.
        await using (var again = await PolicyDaemon.StartAsync("mailseal-greyd", Args()))
            Assert.StartsWith("action=", await again.AskAsync(PolicyDaemon.Request("192.0.2.9", "x@y.example", "b@example.test", "r")), StringComparison.Ordinal);

        SqliteLibrary.EnsureRegistered();
        await using var db = new SqliteConnection("Data Source=" + Path.Combine(_dir.Path, "g.sqlite"));
        await db.OpenAsync();
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = db.CreateCommand())
        {
            command.CommandText = "SELECT key FROM greyd_triplets";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                stored.Add(reader.GetString(0));
        }

        var missing = answered.Where(s => !stored.Contains($"192.0.2.0/{GreylistKeys.NormalizeSender(s)}/b@example.test")).ToList();
        output.WriteLine($"{answered.Count} triplets answered before SIGKILL, {stored.Count} rows after restart, {missing.Count} missing");
        Assert.Empty(missing);
    }
}
