using System.Net;
using Mailseal.Dns.Spf;

namespace Mailseal.Dns.Tests;

/// <summary>The stub resolver and the SPF evaluator against a real unbound serving local zones.</summary>
public sealed class StubResolverUnboundTests : IClassFixture<UnboundServer>
{
    private readonly UnboundServer _unbound;

    public StubResolverUnboundTests(UnboundServer unbound) => _unbound = unbound;

    private StubResolver Resolver(ushort edns = 4096) => new(new StubResolverOptions
    {
        Servers = [_unbound.EndPoint],
        Timeout = TimeSpan.FromSeconds(2),
        EdnsBufferSize = edns,
    });

    [Fact]
    public async Task Answers_every_record_type_spf_needs_and_keeps_failures_distinct()
    {
        using StubResolver resolver = Resolver();
        CancellationToken ct = CancellationToken.None;

        DnsAnswer a = await resolver.QueryAsync("mail.mailseal.test", DnsRecordType.A, ct);
        DnsAnswer mx = await resolver.QueryAsync("mailseal.test", DnsRecordType.Mx, ct);
        DnsAnswer txt = await resolver.QueryAsync("mailseal.test", DnsRecordType.Txt, ct);
        DnsAnswer cname = await resolver.QueryAsync("www.mailseal.test", DnsRecordType.A, ct);
        DnsAnswer ptr = await resolver.QueryAsync(DnsName.ReverseName(IPAddress.Loopback), DnsRecordType.Ptr, ct);
        DnsAnswer nodata = await resolver.QueryAsync("mail.mailseal.test", DnsRecordType.Aaaa, ct);
        DnsAnswer nxdomain = await resolver.QueryAsync("nothere.mailseal.test", DnsRecordType.A, ct);

        Assert.Equal(IPAddress.Loopback, Assert.Single(a.Records).Address);
        Assert.Equal(("mail.mailseal.test", (ushort)10), (Assert.Single(mx.Records).Exchange, mx.Records[0].Preference));
        Assert.Equal("v=spf1 ip4:198.51.100.1 include:inc.mailseal.test -all", Assert.Single(txt.Records).Text);
        Assert.Equal("mail.mailseal.test", cname.CanonicalName);
        Assert.Equal(IPAddress.Loopback, Assert.Single(cname.Records).Address);
        Assert.Contains(ptr.Records, r => r.Target == "mail.mailseal.test"); // unbound adds its own "localhost" PTR for 127.0.0.1
        Assert.Equal(DnsStatus.NoData, nodata.Status);
        Assert.Equal(DnsStatus.NxDomain, nxdomain.Status);
    }

    [Fact]
    public async Task A_big_TXT_record_without_EDNS_comes_over_TCP_after_truncation()
    {
        using StubResolver resolver = Resolver(edns: 0);

        DnsAnswer answer = await resolver.QueryAsync("big.mailseal.test", DnsRecordType.Txt, CancellationToken.None);

        Assert.Equal(DnsStatus.Ok, answer.Status);
        Assert.Equal(string.Concat(UnboundServer.BigTxt), Assert.Single(answer.Records).Text);
    }

    [Theory]
    [InlineData("198.51.100.1", SpfResultCode.Pass)]
    [InlineData("127.0.0.1", SpfResultCode.Pass)]
    [InlineData("::ffff:127.0.0.1", SpfResultCode.Pass)]
    [InlineData("192.0.2.99", SpfResultCode.Fail)]
    public async Task Spf_checks_run_end_to_end_over_the_stub_resolver(string client, SpfResultCode expected)
    {
        using StubResolver resolver = Resolver();
        var evaluator = new SpfEvaluator(resolver);

        SpfResult result = await evaluator.CheckMailFromAsync(IPAddress.Parse(client), "alice@mailseal.test", "mail.mailseal.test", CancellationToken.None);

        Assert.Equal(expected, result.Code);
    }
}
