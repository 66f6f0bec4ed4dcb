using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mailseal.EndToEnd.Tests.Harness;
using Mailseal.Greyd;
using Npgsql;

// CREATE/DROP DATABASE take no parameters; the name is a generated "greyd_" + hex identifier.
#pragma warning disable CA2100

namespace Mailseal.EndToEnd.Tests.Greyd;

/// <summary>
/// mailseal-greyd on the harness's real PostgreSQL: two instances sharing one greylist (as two
/// MX hosts do), the database stopped mid-run (answers DUNNO within the store timeout, no
/// crash, normal service when it is back), a database that accepts and never answers, and
/// expiry claimed by one instance at a time.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class GreydPostgresTests : IAsyncLifetime
{
    /// <summary>
    /// The most a request may take with the database stopped or hung: the store timeout (1 s)
    /// plus room for a busy machine's scheduling, and still far below the driver's 30 s, so only
    /// the store timeout can have ended the wait.
    /// </summary>
    private static readonly TimeSpan StoreTimeoutBound = TimeSpan.FromSeconds(8);

    private readonly MailStack _stack;
    private readonly string _database = "greyd_" + Guid.NewGuid().ToString("N")[..10];
    private readonly List<GreydDaemon> _daemons = [];

    public GreydPostgresTests(MailStack stack) => _stack = stack;

    // The driver's own timeouts are far longer than the daemon's store timeout (1000 ms, the
    // default): a request answered within a few seconds was answered by the store timeout, never
    // by the driver giving up, even on a loaded machine where the daemon waits its turn for a core.
    private string ConnectionString =>
        $"Host={_stack.PostgresSocketDirectory};Port={_stack.PostgresPort};Username=postgres;Database={_database};Timeout=30;Command Timeout=30";

    public async Task InitializeAsync()
    {
        await using var db = await _stack.OpenDatabaseAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", db);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var d in _daemons)
            await d.DisposeAsync();
        if (!_stack.IsRunning(MailService.Postgres))
        {
            await _stack.StartServiceAsync(MailService.Postgres);
            await _stack.ReloadPostfixAsync();
        }

        NpgsqlConnection.ClearAllPools();
        await using var db = await _stack.OpenDatabaseAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", db);
        await drop.ExecuteNonQueryAsync();
    }

    private async Task<GreydDaemon> StartAsync(int delay = 2)
    {
        var none = Path.Combine(_stack.TempDirectory, "greyd-none");
        File.WriteAllText(none, string.Empty);
        var daemon = await GreydDaemon.StartAsync(_stack, [$"--delay={delay}", "--store", "postgresql:" + ConnectionString, "--whitelist-clients=" + none, "--whitelist-recipients=" + none]);
        _daemons.Add(daemon);
        await daemon.WaitForLogAsync(" ready");
        return daemon;
    }

    [Fact]
    public async Task A_triplet_first_seen_through_one_instance_is_accepted_through_the_other_after_the_delay()
    {
        // The store counts whole seconds (first seen 10.9 s and now 12.0 s are 2 s apart, as in
        // postgrey): with a delay of D the second ask is sure to be early only if it comes within
        // D - 1 s of the first. 5 s leaves a busy machine 4 s between two requests.
        const int Delay = 5;
        var a = await StartAsync(Delay);
        var b = await StartAsync(Delay);
        const string Sender = "alice@sender.example", Recipient = "bob@example.test";

        Assert.StartsWith("DEFER_IF_PERMIT 4.2.0 Greylisted", await a.AskAsync("192.0.2.10", Sender, Recipient, "m1"), StringComparison.Ordinal);
        Assert.StartsWith("DEFER_IF_PERMIT", await b.AskAsync("192.0.2.11", Sender, Recipient, "m2"), StringComparison.Ordinal); // same /24: the same triplet, still waiting

        await Task.Delay(TimeSpan.FromSeconds(Delay + 0.5));
        Assert.StartsWith("PREPEND X-Greylist: delayed ", await b.AskAsync("192.0.2.12", Sender, Recipient, "m3"), StringComparison.Ordinal);
        Assert.Equal("DUNNO", await a.AskAsync("192.0.2.10", Sender, Recipient, "m4"));

        await using var db = new NpgsqlConnection(ConnectionString);
        await db.OpenAsync();
        await using var rows = new NpgsqlCommand("SELECT count(*) FROM greyd_triplets", db);
        Assert.Equal(1L, await rows.ExecuteScalarAsync());
    }

    [Fact]
    public async Task PostgreSQL_stopped_mid_run_gives_dunno_within_the_store_timeout_and_service_returns_with_it()
    {
        var daemon = await StartAsync();
        Assert.StartsWith("DEFER_IF_PERMIT", await daemon.AskAsync("198.51.100.1", "a@x.example", "b@example.test", "p0"), StringComparison.Ordinal);

        await _stack.StopServiceAsync(MailService.Postgres);
        try
        {
            for (var i = 0; i < 10; i++)
            {
                var watch = Stopwatch.StartNew();
                Assert.Equal("DUNNO", await daemon.AskAsync($"198.51.100.{i + 2}", $"s{i}@x.example", "b@example.test", $"p{i + 1}"));
                Assert.True(watch.Elapsed < StoreTimeoutBound, $"request {i} took {watch.Elapsed} with the database down");
            }

            Assert.False(daemon.HasExited, daemon.Log);
            Assert.Contains("unavailable", daemon.Log, StringComparison.Ordinal);
        }
        finally
        {
            await _stack.StartServiceAsync(MailService.Postgres);
            await _stack.ReloadPostfixAsync();
        }

        // Back to normal: a new triplet is greylisted again (the pool drops broken connections).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string? answer;
        var n = 0;
        do
        {
            answer = await daemon.AskAsync("203.0.113.1", $"again{n++}@x.example", "b@example.test", $"r{n}");
        }
        while (answer == "DUNNO" && DateTime.UtcNow < deadline && await Delay());
        Assert.StartsWith("DEFER_IF_PERMIT", answer, StringComparison.Ordinal);
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public async Task A_database_that_never_answers_gives_dunno_after_the_store_timeout()
    {
        // Accepts TCP connections into the backlog and never speaks: a hung database host.
        using var hole = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        hole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        hole.Listen(100);
        var port = ((IPEndPoint)hole.LocalEndPoint!).Port;
        var none = Path.Combine(_stack.TempDirectory, "greyd-none");
        File.WriteAllText(none, string.Empty);
        var daemon = await GreydDaemon.StartAsync(_stack, "--store", $"postgresql:Host=127.0.0.1;Port={port};Username=x;Password=y;Database=z;Timeout=30;Command Timeout=30",
            "--whitelist-clients=" + none, "--whitelist-recipients=" + none);
        _daemons.Add(daemon);
        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            Assert.Equal("DUNNO", await daemon.AskAsync("192.0.2.1", $"h{i}@x.example", "b@example.test", $"h{i}"));
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), StoreTimeoutBound);
        }

        Assert.Contains("no answer within 1000 ms", daemon.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expiry_is_claimed_by_one_instance_at_a_time()
    {
        var p = new GreylistParameters { MaxAge = 86400, RetryWindow = 3600, Delay = 60 };
        await using var one = new PostgresGreylistStore(ConnectionString, p, "one");
        await using var two = new PostgresGreylistStore(ConnectionString, p, "two");
        await one.InitializeAsync(default);
        await two.InitializeAsync(default);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var old = Enumerable.Range(0, 1234).Select(i => new KeyValuePair<string, (long, long)>($"old/{i:D5}", (now - 90000, now - 90000)));
        var live = Enumerable.Range(0, 7).Select(i => new KeyValuePair<string, (long, long)>($"live/{i}", (now - 100, now)));
        await one.ImportAsync(old.Concat(live), [new("192.0.2.1", (5, now - 90000))], default);

        Assert.Equal(1235, await one.ExpireAsync(default));
        Assert.Equal(0, await two.ExpireAsync(default));
        Assert.Equal(GreylistOutcome.Passed, (await two.CheckAsync("live/0", null, default)).Outcome);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(250);
        return true;
    }
}
