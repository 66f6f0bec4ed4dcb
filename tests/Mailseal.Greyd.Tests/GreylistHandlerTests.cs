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
}
