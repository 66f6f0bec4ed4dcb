using System.Diagnostics;
using Mailseal.Policy;
using Serilog;

namespace Mailseal.Greyd.Tests;

/// <summary>The whole decision (whitelists, store, reply text, header once per message) over a real SQLite store and a fake clock.</summary>
public sealed class GreylistHandlerTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTime _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private readonly ILogger _log = new LoggerConfiguration().CreateLogger();
    private SqliteGreylistStore _store = null!;

    public Task InitializeAsync()
    {
        _store = new SqliteGreylistStore(Path.Combine(_dir.Path, "g.sqlite"), new GreylistParameters { Delay = 300, AutoWhitelistClients = 2 }, time: _time);
        return _store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    internal static PolicyRequest Request(string client = "192.0.2.10", string sender = "alice@sender.example", string recipient = "bob@example.test", string instance = "i1", string name = "mx.sender.example") =>
        new(new Dictionary<string, string>
        {
            ["request"] = "smtpd_access_policy",
            ["protocol_state"] = "RCPT",
            ["client_address"] = client,
            ["client_name"] = name,
            ["sender"] = sender,
            ["recipient"] = recipient,
            ["instance"] = instance,
            ["etrn_domain"] = string.Empty,
        });

    private GreylistHandler Handler(GreydSettings? settings = null, ClientWhitelist? clients = null, RecipientWhitelist? recipients = null, IGreylistStore? store = null) =>
        new(settings ?? new GreydSettings { Parameters = new GreylistParameters { Delay = 300, AutoWhitelistClients = 2 }, HostName = "mx.example.test" },
            store ?? _store, clients ?? new ClientWhitelist(), recipients ?? new RecipientWhitelist(), _log, _time);

    [Fact]
    public async Task First_attempt_is_deferred_then_the_retry_passes_with_one_header_per_message()
    {
        var h = Handler();
        var first = await h.HandleAsync(Request(instance: "m1"), default);
        Assert.Equal("DEFER_IF_PERMIT 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/example.test.html", first.Action);

        _time.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal("DEFER_IF_PERMIT 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/example.test.html", (await h.HandleAsync(Request(instance: "m2"), default)).Action);

        _time.Advance(TimeSpan.FromSeconds(200));
        var pass = await h.HandleAsync(Request(instance: "m3"), default);
        Assert.Equal("PREPEND X-Greylist: delayed 300 seconds by mailseal-greyd-0.1.0 at mx.example.test; Thu, 03 Dec 2026 12:05:00 +0000", pass.Action);

        // A second recipient of the same message passing for the first time: no second header.
        var other = Request(recipient: "carol@example.test", instance: "m3");
        await h.HandleAsync(other, default);
        _time.Advance(TimeSpan.FromSeconds(300));
        Assert.Equal("DUNNO", (await h.HandleAsync(other, default)).Action);

        // The triplet passed before: no header for later messages either.
        Assert.Equal("DUNNO", (await h.HandleAsync(Request(instance: "m4"), default)).Action);
    }

    [Fact]
    public async Task The_greylist_text_fills_in_seconds_and_domain_and_keeps_its_own_status_code()
    {
        var h = Handler(new GreydSettings { GreylistText = "4.7.1 wait %s s for %r (%s)", GreylistAction = "451" });
        Assert.Equal("451 4.7.1 wait 300 s for example.test (%s)", (await h.HandleAsync(Request(), default)).Action);
    }

    [Fact]
    public async Task Whitelisted_clients_and_recipients_pass_at_once_and_leave_no_triplet()
    {
        var clients = new ClientWhitelist();
        clients.Add("sender.example");
        var recipients = new RecipientWhitelist();
        recipients.Add("postmaster@");
        var h = Handler(clients: clients, recipients: recipients);
        Assert.Equal("DUNNO", (await h.HandleAsync(Request(), default)).Action);
        Assert.Equal("DUNNO", (await h.HandleAsync(Request(name: "unknown", recipient: "postmaster@example.test"), default)).Action);
        Assert.Equal(0, _store.CountTriplets());
    }

    [Fact]
    public async Task A_client_is_auto_whitelisted_after_n_deliveries_an_interval_apart()
    {
        var h = Handler();
        for (var n = 0; n < 2; n++)
        {
            var sender = $"s{n}@sender.example";
            Assert.StartsWith("DEFER_IF_PERMIT", (await h.HandleAsync(Request(sender: sender, instance: $"a{n}"), default)).Action, StringComparison.Ordinal);
            _time.Advance(TimeSpan.FromSeconds(300));
            Assert.StartsWith("PREPEND X-Greylist:", (await h.HandleAsync(Request(sender: sender, instance: $"b{n}"), default)).Action, StringComparison.Ordinal);
            _time.Advance(TimeSpan.FromHours(1));
        }

        // Two deliveries counted: a new sender from the same client is not greylisted.
        Assert.Equal("DUNNO", (await h.HandleAsync(Request(sender: "new@other.example", instance: "c"), default)).Action);
    }

    [Fact]
    public async Task Other_request_types_and_bad_addresses_get_dunno()
    {
        var h = Handler();
        var attrs = new Dictionary<string, string>(Request().Attributes) { ["request"] = "junk" };
        Assert.Equal("DUNNO", (await h.HandleAsync(new PolicyRequest(attrs), default)).Action);
        Assert.Equal("DUNNO", (await h.HandleAsync(Request(client: "not-an-ip"), default)).Action);
    }

    [Fact]
    public async Task A_store_that_hangs_is_answered_dunno_within_the_store_timeout()
    {
        var store = new HangingStore();
        var h = Handler(new GreydSettings { StoreTimeout = TimeSpan.FromMilliseconds(300) }, store: store);
        var watch = Stopwatch.StartNew();
        Assert.Equal("DUNNO", (await h.HandleAsync(Request(), default)).Action);
        Assert.InRange(watch.ElapsedMilliseconds, 250, 2000);
        Assert.Equal(1, h.StoreFailures);
    }

    [Fact]
    public async Task A_failing_store_can_be_set_to_defer()
    {
        var h = Handler(new GreydSettings { StoreUnavailable = StoreFailureAction.Defer }, store: new HangingStore(throwAtOnce: true));
        Assert.Equal("DEFER_IF_PERMIT 4.3.0 Greylist temporarily unavailable, try again later", (await h.HandleAsync(Request(), default)).Action);
    }

    [Fact]
    public async Task A_batch_gets_the_answers_one_request_at_a_time_would_get_in_order()
    {
        var clients = new ClientWhitelist();
        clients.Add("trusted.example");
        var batch = Handler(clients: clients);
        Assert.True(batch.DecidesInBatches);
        PolicyRequest[] requests =
        [
            Request(instance: "m1"),
            Request(client: "not-an-ip"),
            Request(name: "mx.trusted.example", instance: "m2"),
            Request(instance: "m3"),
            Request(recipient: "carol@example.test", instance: "m3"),
        ];
        var responses = new PolicyResponse[requests.Length];

        batch.DecideBatch(requests, responses);

        // The same requests, one at a time, on a second store with the same clock.
        await using var single = new SqliteGreylistStore(Path.Combine(_dir.Path, "single.sqlite"), new GreylistParameters { Delay = 300, AutoWhitelistClients = 2 }, time: _time);
        await single.InitializeAsync(default);
        var one = Handler(clients: clients, store: single);
        var expected = new List<string>();
        foreach (var request in requests)
            expected.Add((await one.HandleAsync(request, default)).Action);
        Assert.Equal(expected, responses.Select(r => r.Action));
        Assert.StartsWith("DEFER_IF_PERMIT", responses[0].Action, StringComparison.Ordinal);
        Assert.Equal(["DUNNO", "DUNNO"], responses[1..3].Select(r => r.Action));

        // After the delay, the next batch passes the triplet with one header for the message.
        _time.Advance(TimeSpan.FromSeconds(300));
        batch.DecideBatch([Request(instance: "m4"), Request(instance: "m4")], responses.AsSpan(0, 2));
        Assert.StartsWith("PREPEND X-Greylist: delayed 300 seconds", responses[0].Action, StringComparison.Ordinal);
        Assert.Equal("DUNNO", responses[1].Action);
    }

    [Fact]
    public async Task A_batch_whose_store_fails_answers_each_request_as_a_store_that_is_down()
    {
        var h = Handler(new GreydSettings { StoreUnavailable = StoreFailureAction.Defer });
        var responses = new PolicyResponse[2];
        await _store.DisposeAsync();

        h.DecideBatch([Request(), Request(client: "not-an-ip")], responses);

        Assert.Equal("DEFER_IF_PERMIT 4.3.0 Greylist temporarily unavailable, try again later", responses[0].Action);
        Assert.Equal("DUNNO", responses[1].Action);
        Assert.Equal(1, h.StoreFailures);
    }

    [Fact]
    public void A_store_on_the_network_is_not_decided_in_batches()
    {
        var h = Handler(store: new HangingStore());
        Assert.False(h.DecidesInBatches);
        Assert.Throws<InvalidOperationException>(() => h.DecideBatch([Request()], new PolicyResponse[1]));
    }
}
