using System.Net;

namespace Mailseal.Dns.Tests;

public sealed class InMemoryZoneTests
{
    [Fact]
    public async Task Keeps_nxdomain_nodata_timeout_and_servfail_apart()
    {
        var zone = new InMemoryZone();
        zone.Add("Host.Example.test.", DnsRecordType.A, "192.0.2.1");
        zone.AddName("empty.example.test");
        zone.AddTimeout("slow.example.test");
        zone.Add("slow.example.test", DnsRecordType.A, "192.0.2.2");
        zone.AddServFail("broken.example.test");
        CancellationToken ct = CancellationToken.None;

        Assert.Equal(IPAddress.Parse("192.0.2.1"), Assert.Single((await zone.QueryAsync("host.example.TEST", DnsRecordType.A, ct)).Records).Address);
        Assert.Equal(DnsStatus.NoData, (await zone.QueryAsync("host.example.test", DnsRecordType.Mx, ct)).Status);
        Assert.Equal(DnsStatus.NoData, (await zone.QueryAsync("empty.example.test", DnsRecordType.Txt, ct)).Status);
        Assert.Equal(DnsStatus.NxDomain, (await zone.QueryAsync("nothere.example.test", DnsRecordType.A, ct)).Status);
        Assert.Equal(DnsStatus.Timeout, (await zone.QueryAsync("slow.example.test", DnsRecordType.Txt, ct)).Status);
        Assert.Equal(DnsStatus.Ok, (await zone.QueryAsync("slow.example.test", DnsRecordType.A, ct)).Status);
        Assert.Equal(DnsStatus.ServFail, (await zone.QueryAsync("broken.example.test", DnsRecordType.A, ct)).Status);
        Assert.Equal(7, zone.QueryCount);
    }

    [Fact]
    public async Task Follows_cnames_and_stops_at_loops()
    {
        var zone = new InMemoryZone();
        zone.Add("www.example.test", DnsRecordType.Cname, "web.example.test.");
        zone.Add("web.example.test", DnsRecordType.Txt, "hello");
        zone.Add("loop1.example.test", DnsRecordType.Cname, "loop2.example.test");
        zone.Add("loop2.example.test", DnsRecordType.Cname, "LOOP1.example.test");
        CancellationToken ct = CancellationToken.None;

        DnsAnswer alias = await zone.QueryAsync("www.example.test", DnsRecordType.Txt, ct);
        DnsAnswer loop = await zone.QueryAsync("loop1.example.test", DnsRecordType.A, ct);
        DnsAnswer cname = await zone.QueryAsync("www.example.test", DnsRecordType.Cname, ct);

        Assert.Equal(("hello", "web.example.test"), (Assert.Single(alias.Records).Text, alias.CanonicalName));
        Assert.Equal(DnsStatus.ServFail, loop.Status);
        Assert.Equal("web.example.test", Assert.Single(cname.Records).Target);
    }

    [Theory]
    [InlineData(DnsRecordType.A, "2001:db8::1")]
    [InlineData(DnsRecordType.Aaaa, "192.0.2.1")]
    [InlineData(DnsRecordType.Mx, "mail.example.test")]
    public void Rejects_data_that_does_not_fit_the_type(DnsRecordType type, string data)
    {
        Assert.Throws<FormatException>(() => new InMemoryZone().Add("x.example.test", type, data));
    }
}
