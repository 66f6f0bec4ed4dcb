using System.Diagnostics;
using System.Net;

namespace Mailseal.Dns.Tests;

public sealed class StubResolverTests
{
    // These tests count the queries a server saw, so an answering server must never lose the race
    // against the per-attempt timeout: on a loaded machine the fake server's reply can take far more
    // than 300 ms, the resolver then asks again, and "exactly one query" fails. A server that answers
    // gets a timeout it cannot miss; only the tests about silence use a short one.
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SilenceTimeout = TimeSpan.FromMilliseconds(300);

    private static StubResolver Resolver(params IPEndPoint[] servers) => Resolver(AnswerTimeout, servers);

    private static StubResolver Resolver(TimeSpan timeout, params IPEndPoint[] servers) => new(new StubResolverOptions
    {
        Servers = servers,
        Timeout = timeout,
        Attempts = 2,
    });

    [Fact]
    public async Task Answers_an_A_query_with_EDNS0_and_caches_it_for_its_TTL()
    {
        await using var server = new FakeDnsServer(q => [FakeDnsServer.Answer(q, 0, (q.Name, DnsRecordType.A, 300, FakeDnsServer.A("192.0.2.7")))]);
        using StubResolver resolver = Resolver(server.EndPoint);

        DnsAnswer first = await resolver.QueryAsync("host.example.test", DnsRecordType.A, CancellationToken.None);
        DnsAnswer second = await resolver.QueryAsync("HOST.example.test.", DnsRecordType.A, CancellationToken.None);

        Assert.Equal(DnsStatus.Ok, first.Status);
        Assert.Equal(IPAddress.Parse("192.0.2.7"), Assert.Single(first.Records).Address);
        Assert.Equal(300u, first.Records[0].Ttl);
        Assert.Same(first, second);
        FakeQuery query = Assert.Single(server.Queries);
        Assert.Equal((ushort)4096, query.EdnsSize);
        Assert.False(query.Tcp);
    }

    [Fact]
    public async Task Uses_a_fresh_random_id_and_source_port_per_query()
    {
        await using var server = new FakeDnsServer(q => [FakeDnsServer.Negative(q, 3, 0)]);
        using var resolver = new StubResolver(new StubResolverOptions { Servers = [server.EndPoint], CacheMaxEntries = 0, Timeout = AnswerTimeout });
        for (int i = 0; i < 20; i++)
        {
            await resolver.QueryAsync($"n{i}.example.test", DnsRecordType.A, CancellationToken.None);
        }

        Assert.True(server.Queries.Select(q => q.Id).Distinct().Count() >= 18, "query ids repeat: not random");
        Assert.True(server.Queries.Select(q => q.SourcePort).Distinct().Count() >= 18, "source ports repeat: not random");
    }

    [Fact]
    public async Task A_truncated_UDP_answer_is_asked_again_over_TCP()
    {
        string[] pieces = [new string('a', 255), new string('b', 255), new string('c', 100)];
        await using var server = new FakeDnsServer(q => q.Tcp
            ? [FakeDnsServer.Answer(q, 0, (q.Name, DnsRecordType.Txt, 60, FakeDnsServer.Txt(pieces)))]
            : [FakeDnsServer.Answer(q, 0x0200)]);
        using StubResolver resolver = Resolver(server.EndPoint);

        DnsAnswer answer = await resolver.QueryAsync("big.example.test", DnsRecordType.Txt, CancellationToken.None);

        Assert.Equal(DnsStatus.Ok, answer.Status);
        DnsRecord record = Assert.Single(answer.Records);
        Assert.Equal(3, record.TextStrings.Count);
        Assert.Equal(string.Concat(pieces), record.Text);
        Assert.Equal(1, server.UdpQueries);
        Assert.Equal(1, server.TcpQueries);
    }

    [Fact]
    public async Task A_silent_server_gives_Timeout_after_every_attempt_never_no_record()
    {
        await using var server = new FakeDnsServer(_ => []);
        using StubResolver resolver = Resolver(SilenceTimeout, server.EndPoint);
        var clock = Stopwatch.StartNew();

        DnsAnswer answer = await resolver.QueryAsync("silent.example.test", DnsRecordType.Txt, CancellationToken.None);

        Assert.Equal(DnsStatus.Timeout, answer.Status);
        Assert.True(answer.IsTemporaryFailure);
        Assert.False(answer.IsEmpty);
        Assert.Equal(2, server.UdpQueries);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(550), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_silent_first_server_is_skipped_for_the_next()
    {
        await using var silent = new FakeDnsServer(_ => []);
        await using var good = new FakeDnsServer(q => [FakeDnsServer.Answer(q, 0, (q.Name, DnsRecordType.A, 60, FakeDnsServer.A("192.0.2.9")))]);
        // Each silent attempt costs the whole timeout, so this one is shorter than AnswerTimeout,
        // yet long enough that the good server's answer never loses the race under load.
        using StubResolver resolver = Resolver(TimeSpan.FromSeconds(3), silent.EndPoint, good.EndPoint);

        DnsAnswer answer = await resolver.QueryAsync("x.example.test", DnsRecordType.A, CancellationToken.None);

        Assert.Equal(DnsStatus.Ok, answer.Status);
        Assert.Equal(1, silent.UdpQueries);
        Assert.Equal(1, good.UdpQueries);
    }

    [Fact]
    public async Task SERVFAIL_is_reported_as_such_and_not_cached()
    {
        await using var server = new FakeDnsServer(q => [FakeDnsServer.Answer(q, 2)]);
        using StubResolver resolver = Resolver(server.EndPoint);

        DnsAnswer first = await resolver.QueryAsync("broken.example.test", DnsRecordType.Mx, CancellationToken.None);
        int afterFirst = server.UdpQueries;
        DnsAnswer second = await resolver.QueryAsync("broken.example.test", DnsRecordType.Mx, CancellationToken.None);

        Assert.Equal(DnsStatus.ServFail, first.Status);
        Assert.Equal(DnsStatus.ServFail, second.Status);
        Assert.True(server.UdpQueries > afterFirst, "a SERVFAIL answer was served from the cache");
    }

    [Fact]
    public async Task NXDOMAIN_and_NODATA_stay_distinct_and_are_cached_per_SOA_minimum()
    {
        await using var server = new FakeDnsServer(q => [FakeDnsServer.Negative(q, q.Name.StartsWith("gone", StringComparison.Ordinal) ? 3 : 0, 120)]);
        using StubResolver resolver = Resolver(server.EndPoint);

        DnsAnswer nx = await resolver.QueryAsync("gone.example.test", DnsRecordType.A, CancellationToken.None);
        DnsAnswer nodata = await resolver.QueryAsync("here.example.test", DnsRecordType.A, CancellationToken.None);
        await resolver.QueryAsync("gone.example.test", DnsRecordType.A, CancellationToken.None);
        await resolver.QueryAsync("here.example.test", DnsRecordType.A, CancellationToken.None);

        Assert.Equal(DnsStatus.NxDomain, nx.Status);
        Assert.Equal(DnsStatus.NoData, nodata.Status);
        Assert.True(nx.IsEmpty && nodata.IsEmpty);
        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public async Task Negative_answers_expire_with_the_SOA_minimum()
    {
        var time = new ManualTime();
        await using var server = new FakeDnsServer(q => [FakeDnsServer.Negative(q, 3, 30)]);
        using var resolver = new StubResolver(new StubResolverOptions { Servers = [server.EndPoint], Timeout = AnswerTimeout }, time);

        await resolver.QueryAsync("gone.example.test", DnsRecordType.A, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(29));
        await resolver.QueryAsync("gone.example.test", DnsRecordType.A, CancellationToken.None);
        Assert.Equal(1, server.UdpQueries);
        time.Advance(TimeSpan.FromSeconds(2));
        await resolver.QueryAsync("gone.example.test", DnsRecordType.A, CancellationToken.None);
        Assert.Equal(2, server.UdpQueries);
    }

    [Fact]
    public async Task An_answer_with_the_wrong_id_or_question_is_ignored()
    {
        await using var server = new FakeDnsServer(q =>
        [
            DnsMessage.BuildResponse((ushort)(q.Id ^ 0x5a5a), 0x8180, q.Name, (ushort)q.Type, [(q.Name, (ushort)DnsRecordType.A, 60u, FakeDnsServer.A("203.0.113.66"))]),
            DnsMessage.BuildResponse(q.Id, 0x8180, "evil.example.test", (ushort)q.Type, [("evil.example.test", (ushort)DnsRecordType.A, 60u, FakeDnsServer.A("203.0.113.67"))]),
            FakeDnsServer.Answer(q, 0, (q.Name, DnsRecordType.A, 60, FakeDnsServer.A("192.0.2.1"))),
        ]);
        using StubResolver resolver = Resolver(server.EndPoint);

        DnsAnswer answer = await resolver.QueryAsync("victim.example.test", DnsRecordType.A, CancellationToken.None);

        Assert.Equal(DnsStatus.Ok, answer.Status);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), Assert.Single(answer.Records).Address);
        Assert.Equal(1, server.UdpQueries);
    }

    [Fact]
    public async Task A_compression_pointer_loop_gives_FormatError_without_hanging()
    {
        await using var server = new FakeDnsServer(q =>
        {
            // One answer whose owner name is a pointer to itself.
            byte[] head = FakeDnsServer.Answer(q, 0);
            var message = new List<byte>(head);
            message[7] = 1; // ANCOUNT
            int self = message.Count;
            message.AddRange([(byte)(0xc0 | (self >> 8)), (byte)self, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
            return [[.. message]];
        });
        using StubResolver resolver = Resolver(server.EndPoint);

        DnsAnswer answer = await resolver.QueryAsync("loop.example.test", DnsRecordType.A, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(DnsStatus.FormatError, answer.Status);
        Assert.True(answer.IsTemporaryFailure);
    }

    [Fact]
    public async Task A_CNAME_chain_is_followed_inside_the_answer_and_across_queries()
    {
        await using var server = new FakeDnsServer(q => q.Name switch
        {
            "www.example.test" => [FakeDnsServer.Answer(q, 0,
                ("www.example.test", DnsRecordType.Cname, 60, FakeDnsServer.Name("mid.example.test")),
                ("mid.example.test", DnsRecordType.Cname, 60, FakeDnsServer.Name("end.example.test")))],
            "end.example.test" => [FakeDnsServer.Answer(q, 0, ("end.example.test", DnsRecordType.A, 60, FakeDnsServer.A("192.0.2.80")))],
            _ => [FakeDnsServer.Negative(q, 3, 60)],
        });
        using StubResolver resolver = Resolver(server.EndPoint);

        DnsAnswer answer = await resolver.QueryAsync("www.example.test", DnsRecordType.A, CancellationToken.None);

        Assert.Equal(DnsStatus.Ok, answer.Status);
        Assert.Equal("end.example.test", answer.CanonicalName);
        Assert.Equal(IPAddress.Parse("192.0.2.80"), Assert.Single(answer.Records).Address);
    }

    [Fact]
    public async Task A_CNAME_loop_gives_ServFail()
    {
        await using var server = new FakeDnsServer(q => [FakeDnsServer.Answer(q, 0,
            ("a.example.test", DnsRecordType.Cname, 60, FakeDnsServer.Name("b.example.test")),
            ("b.example.test", DnsRecordType.Cname, 60, FakeDnsServer.Name("a.example.test")))]);
        using StubResolver resolver = Resolver(server.EndPoint);

        DnsAnswer answer = await resolver.QueryAsync("a.example.test", DnsRecordType.A, CancellationToken.None);

        Assert.Equal(DnsStatus.ServFail, answer.Status);
    }

    [Fact]
    public async Task The_cache_never_holds_more_than_its_bound()
    {
        await using var server = new FakeDnsServer(q => [FakeDnsServer.Answer(q, 0, (q.Name, DnsRecordType.A, 600, FakeDnsServer.A("192.0.2.1")))]);
        using var resolver = new StubResolver(new StubResolverOptions { Servers = [server.EndPoint], CacheMaxEntries = 3, Timeout = AnswerTimeout });

        for (int i = 0; i < 10; i++)
        {
            await resolver.QueryAsync($"h{i}.example.test", DnsRecordType.A, CancellationToken.None);
        }

        Assert.Equal(3, resolver.CacheCount);
        await resolver.QueryAsync("h9.example.test", DnsRecordType.A, CancellationToken.None);
        Assert.Equal(10, server.UdpQueries);
        await resolver.QueryAsync("h0.example.test", DnsRecordType.A, CancellationToken.None);
        Assert.Equal(11, server.UdpQueries);
    }

    [Fact]
    public async Task A_name_that_cannot_be_encoded_is_a_FormatError_not_a_query()
    {
        await using var server = new FakeDnsServer(_ => []);
        using StubResolver resolver = Resolver(server.EndPoint);

        DnsAnswer answer = await resolver.QueryAsync(new string('a', 64) + ".example.test", DnsRecordType.A, CancellationToken.None);

        Assert.Equal(DnsStatus.FormatError, answer.Status);
        Assert.Empty(server.Queries);
    }

    [Fact]
    public async Task Identical_concurrent_queries_share_one_network_query()
    {
        await using var server = new FakeDnsServer(q =>
        {
            Thread.Sleep(100);
            return [FakeDnsServer.Answer(q, 0, (q.Name, DnsRecordType.A, 60, FakeDnsServer.A("192.0.2.5")))];
        });
        using var resolver = new StubResolver(new StubResolverOptions { Servers = [server.EndPoint], CacheMaxEntries = 0, Timeout = AnswerTimeout });

        DnsAnswer[] answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => resolver.QueryAsync("same.example.test", DnsRecordType.A, CancellationToken.None)));

        Assert.All(answers, a => Assert.Equal(DnsStatus.Ok, a.Status));
        Assert.Equal(1, server.UdpQueries);
    }

    [Fact]
    public async Task Cancellation_throws_instead_of_returning_a_status()
    {
        await using var server = new FakeDnsServer(_ => []);
        using StubResolver resolver = Resolver(server.EndPoint);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolver.QueryAsync("x.example.test", DnsRecordType.A, cts.Token));
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
