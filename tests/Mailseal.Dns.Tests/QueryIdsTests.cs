namespace Mailseal.Dns.Tests;

public class QueryIdsTests
{
    [Fact]
    public void Ids_are_spread_over_both_octets()
    {
        var ids = Enumerable.Range(0, 4096).Select(_ => QueryIds.Next()).ToList();

        // 4,096 draws from 65,536 values: a working source repeats a few (birthday), a broken one
        // (a constant, a counter in one octet, zeroes) collapses.
        Assert.True(ids.Distinct().Count() > 3900, $"{ids.Distinct().Count()} distinct ids of 4096");
        Assert.True(ids.Select(id => id >> 8).Distinct().Count() > 240);
        Assert.True(ids.Select(id => id & 0xFF).Distinct().Count() > 240);
    }
}
