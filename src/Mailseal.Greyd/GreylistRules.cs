namespace Mailseal.Greyd;

/// <summary>
/// postgrey 1.37's decision (smtpd_access_policy), as a pure function of the stored rows and the
/// time, so an embedded store applies it in one transaction and tests pin it with a fake clock.
/// The PostgreSQL store runs the same steps inside the database (greyd_check), with the
/// database's clock; GreylistRulesTests and the PostgreSQL store tests run the same cases.
/// <list type="number">
/// <item>A client counted at least <see cref="GreylistParameters.AutoWhitelistClients"/> times passes
/// (its time is refreshed at most once per interval).</item>
/// <item>A triplet whose last sighting was at least <c>delay</c> after its first has passed before:
/// it passes again and keeps its first time.</item>
/// <item>Otherwise a first sighting older than the retry window starts over; a first sighting
/// in the future is corrected to now.</item>
/// <item>The triplet passes once <c>delay</c> seconds have gone by since its first sighting; the
/// first such pass counts for the client whitelist (once per interval).</item>
/// </list>
/// </summary>
internal static class GreylistRules
{
    /// <summary>Applies the rules.</summary>
    /// <returns>The verdict, the triplet to store (always), and the client row to store (null = unchanged).</returns>
    public static (GreylistVerdict Verdict, TripletRecord? Triplet, ClientRecord? Client) Evaluate(
        long now, TripletRecord? triplet, ClientRecord? client, bool countClient, GreylistParameters p)
    {
        var awl = countClient && p.AutoWhitelistClients > 0;
        if (awl && client is { } c && c.Count >= p.AutoWhitelistClients)
        {
            ClientRecord? refreshed = now >= c.LastSeen + p.AutoWhitelistInterval || c.LastSeen > now ? new ClientRecord(c.Count + 1, now) : null;
            return (new GreylistVerdict(GreylistOutcome.ClientAutoWhitelisted, 0, 0), null, refreshed);
        }

        long first;
        var passedBefore = false;
        if (triplet is { } t)
        {
            first = t.FirstSeen;
            if (t.LastSeen - t.FirstSeen >= p.Delay)
                passedBefore = true;
            else if (now - first > p.RetryWindow)
                first = now;
            if (first > now)
                first = now;
        }
        else
        {
            first = now;
        }

        var stored = new TripletRecord(first, now);
        var remaining = p.Delay - (now - first);
        ClientRecord? counted = null;
        if (awl && remaining <= 0 && !passedBefore && (client is not { } old || now >= old.LastSeen + p.AutoWhitelistInterval))
            counted = new ClientRecord((client?.Count ?? 0) + 1, now);

        if (remaining > 0)
            return (new GreylistVerdict(GreylistOutcome.Greylisted, remaining, now - first), stored, counted);
        return (new GreylistVerdict(passedBefore ? GreylistOutcome.Passed : GreylistOutcome.PassedAfterDelay, 0, now - first), stored, counted);
    }

    /// <summary>True when a stored triplet is past keeping (postgrey's maintenance rules).</summary>
    public static bool IsExpired(long now, TripletRecord t, GreylistParameters p) =>
        now - t.LastSeen > p.MaxAge || (t.LastSeen - t.FirstSeen < p.Delay && now - t.LastSeen > p.RetryWindow);
}
