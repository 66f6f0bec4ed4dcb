namespace Mailseal.Policy.Tests;

public class PolicyInstanceCacheTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Remembers_per_instance_until_it_expires()
    {
        var clock = new ManualClock();
        var cache = new PolicyInstanceCache<string>(10, TimeSpan.FromMinutes(5), clock);
        cache.Set("a.1", "first");
        Assert.True(cache.TryGet("a.1", out var v));
        Assert.Equal("first", v);
        Assert.False(cache.TryGet("a.2", out _));
        clock.Now += TimeSpan.FromMinutes(5);
        Assert.False(cache.TryGet("a.1", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Holds_at_most_capacity_dropping_the_oldest()
    {
        var cache = new PolicyInstanceCache<int>(100, TimeSpan.FromHours(1));
        for (var i = 0; i < 10_000; i++)
            cache.Set("i" + i, i);
        Assert.Equal(100, cache.Count);
        Assert.False(cache.TryGet("i0", out _));
        Assert.False(cache.TryGet("i9899", out _));
        Assert.True(cache.TryGet("i9900", out var oldestKept));
        Assert.Equal(9900, oldestKept);
    }

    [Fact]
    public void Empty_instance_is_never_stored()
    {
        var cache = new PolicyInstanceCache<int>(10, TimeSpan.FromHours(1));
        cache.Set(string.Empty, 1);
        Assert.False(cache.TryGet(string.Empty, out _));
        Assert.Equal(0, cache.Count);
    }
}
