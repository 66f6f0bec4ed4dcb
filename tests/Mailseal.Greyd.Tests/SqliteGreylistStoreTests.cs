using Microsoft.Data.Sqlite;

namespace Mailseal.Greyd.Tests;

/// <summary>The embedded store: WAL, persistence across reopen, expiry, import.</summary>
public sealed class SqliteGreylistStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTime _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly GreylistParameters _p = new() { Delay = 60, AutoWhitelistClients = 0 };

    public void Dispose() => _dir.Dispose();

    private string DbPath => Path.Combine(_dir.Path, "g.sqlite");

    [Fact]
    public async Task Triplets_survive_a_reopen_and_the_file_is_in_wal_mode()
    {
        await using (var store = new SqliteGreylistStore(DbPath, _p, time: _time))
        {
            await store.InitializeAsync(default);
            Assert.Equal(GreylistOutcome.Greylisted, (await store.CheckAsync("k", null, default)).Outcome);
        }

        _time.Advance(TimeSpan.FromSeconds(61));
        await using (var store = new SqliteGreylistStore(DbPath, _p, time: _time))
        {
            await store.InitializeAsync(default);
            Assert.Equal(new GreylistVerdict(GreylistOutcome.PassedAfterDelay, 0, 61), await store.CheckAsync("k", null, default));
        }

        SqliteLibrary.EnsureRegistered();
        await using var raw = new SqliteConnection("Data Source=" + DbPath);
        await raw.OpenAsync();
        await using var command = raw.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Expiry_removes_old_rows_in_batches_and_keeps_live_ones()
    {
        await using var store = new SqliteGreylistStore(DbPath, _p with { MaxAge = 86400, RetryWindow = 3600 }, time: _time);
        await store.InitializeAsync(default);
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var old = Enumerable.Range(0, 1200).Select(i => new KeyValuePair<string, (long, long)>($"old{i}", (now - 90000, now - 90000)));
        var stale = Enumerable.Range(0, 10).Select(i => new KeyValuePair<string, (long, long)>($"stale{i}", (now - 4000, now - 4000)));
        var live = Enumerable.Range(0, 10).Select(i => new KeyValuePair<string, (long, long)>($"live{i}", (now - 4000, now - 3000)));
        var (t, _) = await store.ImportAsync(old.Concat(stale).Concat(live), [], default);
        Assert.Equal(1220, t);
        Assert.Equal(1210, await store.ExpireAsync(default));
        Assert.Equal(10, store.CountTriplets());
    }

    [Fact]
    public async Task Import_keeps_rows_already_present()
    {
        await using var store = new SqliteGreylistStore(DbPath, _p, time: _time);
        await store.InitializeAsync(default);
        await store.CheckAsync("mine", null, default);
        var (t, c) = await store.ImportAsync([new("mine", (1, 2)), new("theirs", (1, 2))], [new("192.0.2.1", (5, 7))], default);
        Assert.Equal((1, 1), (t, c));
    }

    [Fact]
    public async Task Concurrent_requests_share_commits_and_each_is_on_disk_when_answered()
    {
        await using var store = new SqliteGreylistStore(DbPath, _p, time: _time);
        await store.InitializeAsync(default);
        const int requests = 2000;
        using var start = new ManualResetEventSlim();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            start.Wait();
            for (var i = w; i < requests; i += 8)
            {
                var verdict = await store.CheckAsync($"k{i}", null, default);
                Assert.Equal(GreylistOutcome.Greylisted, verdict.Outcome);
                // Answered means committed: another connection to the file already sees the row.
                if (i % 97 == 0)
                    Assert.Equal(1, CountRowsElsewhere($"k{i}"));
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(workers);
        Assert.Equal(requests, store.CountTriplets());
        Assert.True(store.Commits <= requests, $"{store.Commits} commits for {requests} requests");
    }

    [Fact]
    public async Task The_same_triplet_twice_in_one_batch_is_decided_in_order()
    {
        // Delay 0: the first sighting passes with a header, every later one has passed before.
        await using var store = new SqliteGreylistStore(DbPath, _p with { Delay = 0 }, time: _time);
        await store.InitializeAsync(default);
        using var start = new ManualResetEventSlim();
        var asks = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return (await store.CheckAsync("same", null, default)).Outcome;
        })).ToArray();
        start.Set();
        var outcomes = await Task.WhenAll(asks);
        Assert.Equal(1, outcomes.Count(o => o == GreylistOutcome.PassedAfterDelay));
        Assert.Equal(63, outcomes.Count(o => o == GreylistOutcome.Passed));
    }

    [Fact]
    public async Task A_batch_is_decided_in_order_in_one_transaction_and_on_disk_when_it_returns()
    {
        await using var store = new SqliteGreylistStore(DbPath, _p with { Delay = 0 }, time: _time);
        await store.InitializeAsync(default);
        var verdicts = new GreylistVerdict[3];

        store.CheckBatch([("same", null), ("other", null), ("same", null)], verdicts);

        Assert.Equal([GreylistOutcome.PassedAfterDelay, GreylistOutcome.PassedAfterDelay, GreylistOutcome.Passed], verdicts.Select(v => v.Outcome));
        Assert.Equal(1, store.Commits);
        Assert.Equal(1, CountRowsElsewhere("same"));
        Assert.Equal(1, CountRowsElsewhere("other"));
    }

    [Fact]
    public async Task A_batch_on_a_closed_store_throws_and_records_nothing()
    {
        var store = new SqliteGreylistStore(DbPath, _p, time: _time);
        await store.InitializeAsync(default);
        await store.DisposeAsync();
        Assert.Throws<InvalidOperationException>(() => store.CheckBatch([("k", null)], new GreylistVerdict[1]));
    }

    [Fact]
    public async Task A_closed_store_fails_the_request_instead_of_answering()
    {
        var store = new SqliteGreylistStore(DbPath, _p, time: _time);
        await store.InitializeAsync(default);
        await store.DisposeAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.CheckAsync("k", null, default));
    }

    private long CountRowsElsewhere(string key)
    {
        using var raw = new SqliteConnection("Data Source=" + DbPath + ";Mode=ReadOnly;Pooling=False");
        raw.Open();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT count(*) FROM greyd_triplets WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_missing_directory_is_an_error_at_start()
    {
        await using var store = new SqliteGreylistStore("/nonexistent/dir/g.sqlite", _p);
        await Assert.ThrowsAsync<IOException>(() => store.InitializeAsync(default));
    }
}
