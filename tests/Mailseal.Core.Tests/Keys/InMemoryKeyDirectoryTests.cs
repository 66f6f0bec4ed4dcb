using Mailseal.Core.Keys;

namespace Mailseal.Core.Tests.Keys;

public sealed class InMemoryKeyDirectoryTests
{
    private static InMemoryKeyDirectory Directory(TimeProvider? clock = null) => new(new KeyDirectoryOptions
    {
        LocalDomains = ["example.org"],
        TimeProvider = clock ?? FixedClock.KeysValid,
    });

    [Fact]
    public async Task Looks_up_like_the_real_stores()
    {
        InMemoryKeyDirectory keys = Directory();
        keys.AddKeyData("Alice@Example.org", TestKeys.Read("alice.asc"));
        keys.AddAlias("info@example.org", "alice@example.org");
        keys.Add("nokey@example.org", []);

        KeyLookupResult alice = await keys.LookupAsync("alice+x@EXAMPLE.ORG", CancellationToken.None);
        Assert.True(alice.HasUsableKey, alice.Reason);
        Assert.Equal("alice+x@example.org", alice.Address);

        KeyLookupResult alias = await keys.LookupAsync("info@example.org", CancellationToken.None);
        Assert.Equal(TestKeys.AliceFingerprint, alias.Certificate!.FingerprintHex);

        KeyLookupResult noKey = await keys.LookupAsync("nokey@example.org", CancellationToken.None);
        Assert.True(noKey.IsLocal);
        Assert.False(noKey.HasUsableKey);
        Assert.Contains("no key for nokey@example.org", noKey.Reason, StringComparison.Ordinal);

        KeyLookupResult missing = await keys.LookupAsync("zed@example.org", CancellationToken.None);
        Assert.True(missing.IsLocal);
        Assert.Equal("no key for zed@example.org", missing.Reason);

        KeyLookupResult remote = await keys.LookupAsync("x@remote.example", CancellationToken.None);
        Assert.False(remote.IsLocal);

        KeyLookupResult bad = await keys.LookupAsync("a/b@example.org", CancellationToken.None);
        Assert.True(bad.IsLocal);
        Assert.False(bad.HasUsableKey);
        Assert.Equal(6, keys.LookupCount);
    }

    [Fact]
    public async Task Expiry_is_judged_at_the_clocks_time()
    {
        InMemoryKeyDirectory before = Directory(FixedClock.KeysValid);
        before.AddKeyData("bob@example.org", TestKeys.Read("bob-expired.asc"));
        Assert.True((await before.LookupAsync("bob@example.org", CancellationToken.None)).HasUsableKey);

        InMemoryKeyDirectory after = Directory(FixedClock.BobExpired);
        after.AddKeyData("bob@example.org", TestKeys.Read("bob-expired.asc"));
        KeyLookupResult r = await after.LookupAsync("bob@example.org", CancellationToken.None);
        Assert.Equal("key 0xFEF37FEE824BA2D2 expired on 2026-11-23", r.Reason);
    }

    [Fact]
    public async Task Can_simulate_a_store_that_is_down()
    {
        InMemoryKeyDirectory keys = Directory();
        keys.FailWith = new KeyDirectoryException("key database: connection refused");
        var e = await Assert.ThrowsAsync<KeyDirectoryException>(() => keys.LookupAsync("alice@example.org", CancellationToken.None));
        Assert.True(e.IsTransient);
        Assert.Equal("4.4.3", e.EnhancedStatusCode);
    }
}
