namespace Mailseal.Greyd.Tests;

/// <summary>postgrey 1.37's timing rules, case by case, with the numbers its code uses.</summary>
public class GreylistRulesTests
{
    private static readonly GreylistParameters P = new() { Delay = 300, RetryWindow = 2 * 86400, AutoWhitelistClients = 5, AutoWhitelistInterval = 3600 };

    [Fact]
    public void A_new_triplet_is_greylisted_for_the_whole_delay()
    {
        var (v, t, c) = GreylistRules.Evaluate(1000, null, null, countClient: true, P);
        Assert.Equal(new GreylistVerdict(GreylistOutcome.Greylisted, 300, 0), v);
        Assert.Equal(new TripletRecord(1000, 1000), t);
        Assert.Null(c);
    }

    [Fact]
    public void An_early_retry_is_greylisted_with_the_seconds_left_and_keeps_its_first_time()
    {
        var (v, t, _) = GreylistRules.Evaluate(1100, new TripletRecord(1000, 1000), null, true, P);
        Assert.Equal(new GreylistVerdict(GreylistOutcome.Greylisted, 200, 100), v);
        Assert.Equal(new TripletRecord(1000, 1100), t);
    }

    [Fact]
    public void The_first_retry_after_the_delay_passes_once_with_a_header_and_counts_for_the_client()
    {
        var (v, t, c) = GreylistRules.Evaluate(1300, new TripletRecord(1000, 1100), null, true, P);
        Assert.Equal(new GreylistVerdict(GreylistOutcome.PassedAfterDelay, 0, 300), v);
        Assert.Equal(new TripletRecord(1000, 1300), t);
        Assert.Equal(new ClientRecord(1, 1300), c);

        var (again, _, c2) = GreylistRules.Evaluate(1400, t, c, true, P);
        Assert.Equal(GreylistOutcome.Passed, again.Outcome);
        Assert.Null(c2);
    }

    [Fact]
    public void A_retry_after_the_retry_window_starts_over()
    {
        var (v, t, _) = GreylistRules.Evaluate(1000 + (2 * 86400) + 1, new TripletRecord(1000, 1000), null, true, P);
        Assert.Equal(GreylistOutcome.Greylisted, v.Outcome);
        Assert.Equal(300, v.Remaining);
        Assert.Equal(1000 + (2 * 86400) + 1, t!.Value.FirstSeen);
    }

    [Fact]
    public void A_first_time_in_the_future_is_corrected_to_now()
    {
        var (v, t, _) = GreylistRules.Evaluate(1000, new TripletRecord(5000, 5000), null, true, P);
        Assert.Equal(new GreylistVerdict(GreylistOutcome.Greylisted, 300, 0), v);
        Assert.Equal(1000, t!.Value.FirstSeen);
    }

    [Fact]
    public void A_client_counts_once_per_interval_and_is_whitelisted_at_the_threshold()
    {
        var client = new ClientRecord(4, 1000);
        var (within, _, unchanged) = GreylistRules.Evaluate(2000, new TripletRecord(1000, 1000), client, true, P);
        Assert.Equal(GreylistOutcome.PassedAfterDelay, within.Outcome);
        Assert.Null(unchanged);

        var (later, _, counted) = GreylistRules.Evaluate(4600, new TripletRecord(4000, 4000), client, true, P);
        Assert.Equal(GreylistOutcome.PassedAfterDelay, later.Outcome);
        Assert.Equal(new ClientRecord(5, 4600), counted);

        // Whitelisted: any new triplet passes, the triplet is not even written.
        var (awl, t, refreshed) = GreylistRules.Evaluate(4700, null, counted, true, P);
        Assert.Equal(GreylistOutcome.ClientAutoWhitelisted, awl.Outcome);
        Assert.Null(t);
        Assert.Null(refreshed);
        var (_, _, hourLater) = GreylistRules.Evaluate(4600 + 3600, null, counted, true, P);
        Assert.Equal(new ClientRecord(6, 8200), hourLater);
    }

    [Fact]
    public void With_the_client_whitelist_off_nothing_is_counted()
    {
        var p = P with { AutoWhitelistClients = 0 };
        var (v, _, c) = GreylistRules.Evaluate(1300, new TripletRecord(1000, 1000), new ClientRecord(99, 0), true, p);
        Assert.Equal(GreylistOutcome.PassedAfterDelay, v.Outcome);
        Assert.Null(c);
    }

    [Theory]
    [InlineData(1000, 1000, 1000 + (35 * 86400) + 1, true)] // not seen for max-age
    [InlineData(1000, 1400, 1400 + (35 * 86400), false)] // passed, seen exactly max-age ago
    [InlineData(1000, 1100, 1100 + (2 * 86400) + 1, true)] // never passed, retry window gone
    [InlineData(1000, 1300, 1300 + (2 * 86400) + 1, false)] // passed: kept until max-age
    public void Expiry_follows_postgreys_maintenance(long first, long last, long now, bool expired) =>
        Assert.Equal(expired, GreylistRules.IsExpired(now, new TripletRecord(first, last), P with { MaxAge = 35 * 86400 }));
}
