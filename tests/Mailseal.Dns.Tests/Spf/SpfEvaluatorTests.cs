using System.Diagnostics;
using System.Net;
using Mailseal.Dns.Spf;

namespace Mailseal.Dns.Tests.Spf;

public sealed class SpfEvaluatorTests
{
    private static readonly IPAddress Good = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress Bad = IPAddress.Parse("198.51.100.99");

    private static InMemoryZone Zone(params (string Name, string Spf)[] records)
    {
        var zone = new InMemoryZone();
        foreach ((string name, string spf) in records)
        {
            zone.Add(name, DnsRecordType.Txt, spf);
        }

        return zone;
    }

    [Fact]
    public async Task Reports_the_matching_directive_and_the_expanded_explanation()
    {
        InMemoryZone zone = Zone(("example.com", "v=spf1 ip4:192.0.2.0/24 -all exp=why.example.com"), ("why.example.com", "%{i} may not send for %{d} (ask %{r})"));
        var evaluator = new SpfEvaluator(zone, new SpfOptions { ReceivingHost = "mx.receiver.test" });

        SpfResult pass = await evaluator.CheckMailFromAsync(Good, "a@example.com", "helo.example.com", CancellationToken.None);
        SpfResult fail = await evaluator.CheckMailFromAsync(Bad, "a@example.com", "helo.example.com", CancellationToken.None);

        Assert.Equal((SpfResultCode.Pass, "ip4:192.0.2.0/24", (string?)null), (pass.Code, pass.Mechanism, pass.Explanation));
        Assert.Equal((SpfResultCode.Fail, "-all"), (fail.Code, fail.Mechanism));
        Assert.Equal("198.51.100.99 may not send for example.com (ask mx.receiver.test)", fail.Explanation);
        Assert.Equal("example.com", fail.Domain);
    }

    [Fact]
    public async Task The_null_sender_is_checked_as_postmaster_at_the_helo_name()
    {
        InMemoryZone zone = Zone(("helo.example.org", "v=spf1 -all exp=e.example.org"), ("e.example.org", "%{s}"));
        var evaluator = new SpfEvaluator(zone);

        SpfResult result = await evaluator.CheckMailFromAsync(Bad, string.Empty, "helo.example.org", CancellationToken.None);

        Assert.Equal(SpfResultCode.Fail, result.Code);
        Assert.Equal("helo.example.org", result.Domain);
        Assert.Equal("postmaster@helo.example.org", result.Explanation);
    }

    [Fact]
    public async Task The_helo_identity_uses_the_helo_domain()
    {
        InMemoryZone zone = Zone(("mail.example.org", "v=spf1 a -all"), ("example.org", "v=spf1 -all"));
        zone.Add("mail.example.org", DnsRecordType.A, "192.0.2.10");
        var evaluator = new SpfEvaluator(zone);

        SpfResult result = await evaluator.CheckHeloAsync(Good, "mail.example.org", CancellationToken.None);

        Assert.Equal(SpfResultCode.Pass, result.Code);
        Assert.Equal("mail.example.org", result.Domain);
    }

    [Theory]
    [InlineData("::ffff:192.0.2.10", SpfResultCode.Pass)]
    [InlineData("2001:db8::10", SpfResultCode.Pass)]
    [InlineData("2001:db8:1::10", SpfResultCode.Fail)]
    public async Task Ipv6_clients_and_ipv4_mapped_clients(string client, SpfResultCode expected)
    {
        InMemoryZone zone = Zone(("example.com", "v=spf1 ip4:192.0.2.10 ip6:2001:db8::/48 -all"));
        SpfResult result = await new SpfEvaluator(zone).CheckMailFromAsync(IPAddress.Parse(client), "x@example.com", "h.example.com", CancellationToken.None);

        Assert.Equal(expected, result.Code);
    }

    [Fact]
    public async Task A_dns_timeout_is_temperror_never_none()
    {
        var zone = new InMemoryZone();
        zone.AddTimeout("example.com");

        SpfResult result = await new SpfEvaluator(zone).CheckMailFromAsync(Good, "x@example.com", "h.example.com", CancellationToken.None);

        Assert.Equal(SpfResultCode.TempError, result.Code);
        Assert.NotNull(result.Problem);
    }

    [Fact]
    public async Task A_resolver_that_never_answers_gives_temperror_within_the_lookup_time()
    {
        var evaluator = new SpfEvaluator(new NeverAnswers(), new SpfOptions { LookupTime = TimeSpan.FromMilliseconds(300) });
        var clock = Stopwatch.StartNew();

        SpfResult result = await evaluator.CheckMailFromAsync(Good, "x@example.com", "h.example.com", CancellationToken.None);

        Assert.Equal(SpfResultCode.TempError, result.Code);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_dns_term_limit_is_an_option()
    {
        InMemoryZone zone = Zone(
            ("example.com", "v=spf1 include:a.example.com include:b.example.com include:c.example.com ip4:192.0.2.10 -all"),
            ("a.example.com", "v=spf1 -all"),
            ("b.example.com", "v=spf1 -all"),
            ("c.example.com", "v=spf1 -all"));

        SpfResult byDefault = await new SpfEvaluator(zone).CheckMailFromAsync(Good, "x@example.com", "h", CancellationToken.None);
        SpfResult limited = await new SpfEvaluator(zone, new SpfOptions { DnsMechanismLimit = 2 }).CheckMailFromAsync(Good, "x@example.com", "h", CancellationToken.None);

        Assert.Equal(SpfResultCode.Pass, byDefault.Code);
        Assert.Equal(SpfResultCode.PermError, limited.Code);
    }

    [Fact]
    public async Task The_void_lookup_limit_is_an_option()
    {
        InMemoryZone zone = Zone(("example.com", "v=spf1 a:n1.example.com a:n2.example.com ip4:192.0.2.10 -all"));

        SpfResult byDefault = await new SpfEvaluator(zone).CheckMailFromAsync(Good, "x@example.com", "h", CancellationToken.None);
        SpfResult limited = await new SpfEvaluator(zone, new SpfOptions { VoidLookupLimit = 1 }).CheckMailFromAsync(Good, "x@example.com", "h", CancellationToken.None);

        Assert.Equal(SpfResultCode.Pass, byDefault.Code);
        Assert.Equal(SpfResultCode.PermError, limited.Code);
    }

    [Fact]
    public async Task An_include_loop_ends_in_permerror()
    {
        InMemoryZone zone = Zone(("example.com", "v=spf1 include:example.com -all"));

        SpfResult result = await new SpfEvaluator(zone).CheckMailFromAsync(Good, "x@example.com", "h", CancellationToken.None);

        Assert.Equal(SpfResultCode.PermError, result.Code);
    }

    [Theory]
    [InlineData("x@exa mple.com")]
    [InlineData("x@localhost")]
    [InlineData("x@[192.0.2.1]")]
    [InlineData("x@a..example.com")]
    public async Task An_invalid_domain_is_none(string sender)
    {
        SpfResult result = await new SpfEvaluator(new InMemoryZone()).CheckMailFromAsync(Good, sender, "h", CancellationToken.None);

        Assert.Equal(SpfResultCode.None, result.Code);
    }

    [Fact]
    public async Task A_trailing_dot_on_the_domain_is_accepted()
    {
        InMemoryZone zone = Zone(("example.com", "v=spf1 ip4:192.0.2.10 -all"));

        SpfResult result = await new SpfEvaluator(zone).CheckMailFromAsync(Good, "x@example.com.", "h", CancellationToken.None);

        Assert.Equal(SpfResultCode.Pass, result.Code);
        Assert.Equal("example.com", result.Domain);
    }

    [Fact]
    public async Task The_mx_name_limit_is_an_option()
    {
        InMemoryZone zone = Zone(("example.com", "v=spf1 mx -all"));
        for (int i = 0; i < 4; i++)
        {
            zone.Add(DnsRecord.ForMx("example.com", (ushort)i, $"mx{i}.example.com"));
            zone.Add($"mx{i}.example.com", DnsRecordType.A, $"192.0.2.{i + 7}");
        }

        SpfResult byDefault = await new SpfEvaluator(zone).CheckMailFromAsync(Good, "x@example.com", "h", CancellationToken.None);
        SpfResult limited = await new SpfEvaluator(zone, new SpfOptions { MxAddressLimit = 3 }).CheckMailFromAsync(Good, "x@example.com", "h", CancellationToken.None);

        Assert.Equal(SpfResultCode.Pass, byDefault.Code);
        Assert.Equal(SpfResultCode.PermError, limited.Code);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_throws()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var evaluator = new SpfEvaluator(new NeverAnswers());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => evaluator.CheckMailFromAsync(Good, "x@example.com", "h", cts.Token));
    }

    private sealed class NeverAnswers : IDnsResolver
    {
        public async Task<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return new DnsAnswer(DnsStatus.Timeout);
        }
    }

    [Fact]
    public async Task A_record_seen_again_gives_the_same_answers_from_the_parse_cache()
    {
        InMemoryZone zone = Zone(("good.example", "v=spf1 ip4:192.0.2.0/24 -all"), ("broken.example", "v=spf1 ip4:192.0.2.0/99 -all"), ("also.example", "v=spf1 ip4:192.0.2.0/24 -all"));
        var evaluator = new SpfEvaluator(zone);

        for (int round = 0; round < 3; round++)
        {
            SpfResult pass = await evaluator.CheckMailFromAsync(Good, "a@good.example", "h.example", CancellationToken.None);
            SpfResult fail = await evaluator.CheckMailFromAsync(Bad, "a@also.example", "h.example", CancellationToken.None);
            SpfResult broken = await evaluator.CheckMailFromAsync(Good, "a@broken.example", "h.example", CancellationToken.None);

            Assert.Equal((SpfResultCode.Pass, "good.example"), (pass.Code, pass.Domain));
            Assert.Equal((SpfResultCode.Fail, "also.example"), (fail.Code, fail.Domain));
            Assert.Equal(SpfResultCode.PermError, broken.Code);
            Assert.Contains("192.0.2.0/99", broken.Problem, StringComparison.Ordinal);
        }
    }
}
