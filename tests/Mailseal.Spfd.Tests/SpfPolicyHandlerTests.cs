using System.Diagnostics;
using Mailseal.Dns;

namespace Mailseal.Spfd.Tests;

public class SpfPolicyHandlerTests
{
    private const string Tail = "client-ip=192.0.2.10; helo=mx.none.example; envelope-from=";

    [Fact]
    public async Task Mail_from_pass_prepends_received_spf()
    {
        var action = await TestZone.Handler().AskAsync(TestZone.Request("alice@pass.example"));
        Assert.Equal("PREPEND Received-SPF: Pass (mailfrom) identity=mailfrom; " + Tail + "alice@pass.example; receiver=example.org", action);
    }

    [Fact]
    public async Task Mail_from_fail_rejects_with_rfc7372_code_and_policyd_spf_text()
    {
        var action = await TestZone.Handler().AskAsync(TestZone.Request("alice@fail.example"));
        Assert.Equal("550 5.7.23 Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=alice@fail.example;ip=192.0.2.10;r=example.org", action);
    }

    [Fact]
    public async Task Fail_with_exp_uses_the_domains_explanation()
    {
        var action = await TestZone.Handler().AskAsync(TestZone.Request("alice@exp.example"));
        Assert.StartsWith("550 5.7.23 Message rejected due to: 192.0.2.10 is not one of our servers. Please see", action, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("soft.example", "Fail", "PREPEND Received-SPF: Softfail (mailfrom)")]
    [InlineData("soft.example", "Softfail", "550 5.7.23 Message rejected due to: domain owner discourages use of this host.")]
    [InlineData("soft.example", "SPF_Not_Pass", "550 5.7.23 ")]
    [InlineData("neutral.example", "Softfail", "PREPEND Received-SPF: Neutral (mailfrom)")]
    [InlineData("neutral.example", "SPF_Not_Pass", "550 5.7.23 Message rejected due to: access neither permitted nor denied.")]
    [InlineData("fail.example", "False", "PREPEND Received-SPF: Fail (mailfrom) identity=mailfrom")]
    [InlineData("fail.example", "No_Check", "DUNNO")]
    [InlineData("pass.example", "SPF_Not_Pass", "PREPEND Received-SPF: Pass (mailfrom)")]
    [InlineData("none.example", "SPF_Not_Pass", "PREPEND Received-SPF: None (mailfrom) identity=mailfrom")]
    public async Task Mail_from_reject_policies(string domain, string policy, string expectedStart)
    {
        var settings = new SpfdSettings { MailFromReject = SpfdSettings.ParseRejectPolicy(policy, "mail_from_reject"), HeloReject = RejectPolicy.NoCheck };
        var action = await TestZone.Handler(settings).AskAsync(TestZone.Request("alice@" + domain));
        Assert.StartsWith(expectedStart, action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Permerror_prepends_by_default_and_rejects_with_5724_when_asked()
    {
        Assert.StartsWith("PREPEND Received-SPF: Permerror (mailfrom)", await TestZone.Handler().AskAsync(TestZone.Request("a@perm.example")), StringComparison.Ordinal);
        var action = await TestZone.Handler(new SpfdSettings { PermErrorReject = true }).AskAsync(TestZone.Request("a@perm.example"));
        Assert.StartsWith("550 5.7.24 Message rejected due to: permanent error in processing", action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Temperror_prepends_by_default_and_defers_with_4724_when_asked()
    {
        Assert.StartsWith("PREPEND Received-SPF: Temperror (mailfrom)", await TestZone.Handler().AskAsync(TestZone.Request("a@temp.example")), StringComparison.Ordinal);
        var action = await TestZone.Handler(new SpfdSettings { TempErrorDefer = true }).AskAsync(TestZone.Request("a@temp.example"));
        Assert.StartsWith("DEFER_IF_PERMIT 4.7.24 Message deferred due to: temporary DNS error in processing", action, StringComparison.Ordinal);
        Assert.Contains("s=mfrom;id=a@temp.example;ip=192.0.2.10;r=example.org", action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enhanced_status_codes_can_be_turned_off()
    {
        var settings = new SpfdSettings { EnhancedStatusCodes = false, TempErrorDefer = true };
        Assert.StartsWith("550 Message rejected due to: SPF fail", await TestZone.Handler(settings).AskAsync(TestZone.Request("a@fail.example")), StringComparison.Ordinal);
        Assert.StartsWith("DEFER_IF_PERMIT Message deferred due to:", await TestZone.Handler(settings).AskAsync(TestZone.Request("a@temp.example")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Helo_fail_rejects_before_mail_from()
    {
        var zone = TestZone.Create();
        var action = await TestZone.Handler(zone: zone).AskAsync(TestZone.Request("a@pass.example", helo: "mx.fail.example"));
        Assert.Equal("550 5.7.23 Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=helo;id=mx.fail.example;ip=192.0.2.10;r=example.org", action);
    }

    [Fact]
    public async Task Helo_null_policy_rejects_a_helo_fail_only_for_the_null_sender()
    {
        var settings = new SpfdSettings { HeloReject = RejectPolicy.Null };
        Assert.StartsWith("PREPEND Received-SPF: Pass (mailfrom)", await TestZone.Handler(settings).AskAsync(TestZone.Request("a@pass.example", helo: "mx.fail.example")), StringComparison.Ordinal);
        Assert.StartsWith("550 5.7.23", await TestZone.Handler(settings).AskAsync(TestZone.Request(string.Empty, helo: "mx.fail.example")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Helo_false_policy_records_but_never_rejects()
    {
        var settings = new SpfdSettings { HeloReject = RejectPolicy.False, MailFromReject = RejectPolicy.NoCheck };
        Assert.StartsWith("PREPEND Received-SPF: Fail (SPF fail - not authorized) identity=helo; client-ip=192.0.2.10; helo=mx.fail.example;",
            await TestZone.Handler(settings).AskAsync(TestZone.Request("a@fail.example", helo: "mx.fail.example")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Helo_pass_is_never_reported_as_a_mail_from_pass()
    {
        // CVE-2019-20790: MAIL FROM domain has no SPF record, the HELO passes. The header must
        // say identity=helo, so a DMARC verifier cannot take it as an SPF pass for the sender.
        var action = await TestZone.Handler().AskAsync(TestZone.Request("ceo@none.example", helo: "mx.pass.example"));
        Assert.Equal("PREPEND Received-SPF: Pass (sender SPF authorized) identity=helo; client-ip=192.0.2.10; helo=mx.pass.example; envelope-from=ceo@none.example; receiver=example.org", action);
        Assert.DoesNotContain("identity=mailfrom", action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_from_result_wins_over_a_helo_pass_when_it_has_one()
    {
        var action = await TestZone.Handler(new SpfdSettings { MailFromReject = RejectPolicy.False }).AskAsync(TestZone.Request("ceo@fail.example", helo: "mx.pass.example"));
        Assert.StartsWith("PREPEND Received-SPF: Fail (mailfrom) identity=mailfrom;", action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Null_sender_is_checked_as_the_helo_identity()
    {
        var action = await TestZone.Handler().AskAsync(TestZone.Request(string.Empty, helo: "mx.pass.example"));
        Assert.Equal("PREPEND Received-SPF: Pass (sender SPF authorized) identity=helo; client-ip=192.0.2.10; helo=mx.pass.example; envelope-from=<>; receiver=example.org", action);
    }

    [Fact]
    public async Task One_message_is_checked_once_and_gets_one_header()
    {
        var zone = TestZone.Create();
        var handler = TestZone.Handler(zone: zone);
        var first = await handler.AskAsync(TestZone.Request("a@pass.example", instance: "m.1", recipient: "x@example.org"));
        var queries = zone.QueryCount;
        var second = await handler.AskAsync(TestZone.Request("a@pass.example", instance: "m.1", recipient: "y@example.org"));
        var third = await handler.AskAsync(TestZone.Request("a@pass.example", instance: "m.1", recipient: "z@example.org"));
        Assert.StartsWith("PREPEND Received-SPF: Pass", first, StringComparison.Ordinal);
        Assert.Equal("DUNNO", second);
        Assert.Equal("DUNNO", third);
        Assert.Equal(queries, zone.QueryCount);
        Assert.StartsWith("PREPEND", await handler.AskAsync(TestZone.Request("a@pass.example", instance: "m.2")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_recipient_of_a_rejected_message_is_rejected()
    {
        var handler = TestZone.Handler();
        var first = await handler.AskAsync(TestZone.Request("a@fail.example", instance: "m.9"));
        var second = await handler.AskAsync(TestZone.Request("a@fail.example", instance: "m.9", recipient: "c@example.org"));
        Assert.StartsWith("550 5.7.23", first, StringComparison.Ordinal);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Test_only_zero_never_rejects_a_later_recipient_of_the_same_message_either()
    {
        // The instance cache answers a message's later RCPT requests: with TestOnly = 0 the
        // refusal it remembers must stay unacted on, as for the first recipient.
        var handler = TestZone.Handler(new SpfdSettings { ActOnResults = false, TempErrorDefer = true });
        foreach (var (sender, instance) in new[] { ("a@fail.example", "m.10"), ("a@temp.example", "m.11") })
        {
            Assert.Equal("DUNNO", await handler.AskAsync(TestZone.Request(sender, instance: instance, recipient: "x@example.org")));
            Assert.Equal("DUNNO", await handler.AskAsync(TestZone.Request(sender, instance: instance, recipient: "y@example.org")));
            Assert.Equal("DUNNO", await handler.AskAsync(TestZone.Request(sender, instance: instance, recipient: "z@example.org")));
        }
    }

    [Theory]
    [InlineData("127.0.0.1", "X-Comment: SPF check N/A for local connections - client-ip=127.0.0.1;")]
    [InlineData("::1", "X-Comment: SPF check N/A for local connections - client-ip=::1;")]
    [InlineData("::ffff:127.0.0.2", "X-Comment: SPF check N/A for local connections")]
    public async Task Skip_addresses_are_not_checked(string client, string expected)
    {
        var action = await TestZone.Handler().AskAsync(TestZone.Request("a@fail.example", client: client));
        Assert.StartsWith("PREPEND " + expected, action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Whitelisted_relay_is_not_checked()
    {
        var action = await TestZone.Handler(new SpfdSettings { Whitelist = ["192.0.2.8/30"] }).AskAsync(TestZone.Request("a@fail.example"));
        Assert.StartsWith("PREPEND X-Comment: SPF skipped for whitelisted relay - client-ip=192.0.2.10;", action, StringComparison.Ordinal);
        Assert.StartsWith("550", await TestZone.Handler(new SpfdSettings { Whitelist = ["192.0.2.12/30"] }).AskAsync(TestZone.Request("a@fail.example")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Domain_whitelist_skips_clients_that_pass_the_forwarders_record()
    {
        var action = await TestZone.Handler(new SpfdSettings { DomainWhitelist = ["forwarder.example"] }).AskAsync(TestZone.Request("a@fail.example"));
        Assert.StartsWith("PREPEND X-Comment: SPF skipped for whitelisted relay domain - ", action, StringComparison.Ordinal);
        Assert.StartsWith("550", await TestZone.Handler(new SpfdSettings { DomainWhitelist = ["fail.example"] }).AskAsync(TestZone.Request("a@fail.example")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Domain_whitelist_ptr_needs_a_forward_confirmed_name_under_the_domain()
    {
        var ok = await TestZone.Handler(new SpfdSettings { DomainWhitelistPtr = ["ptrforwarder.example"] }).AskAsync(TestZone.Request("a@fail.example"));
        Assert.StartsWith("PREPEND X-Comment: SPF skipped for PTR whitelisted relay domain - ", ok, StringComparison.Ordinal);
        var zone = TestZone.Create();
        zone.Add("11.2.0.192.in-addr.arpa", DnsRecordType.Ptr, "forged.ptrforwarder.example");
        var forged = await TestZone.Handler(new SpfdSettings { DomainWhitelistPtr = ["ptrforwarder.example"] }, zone).AskAsync(TestZone.Request("a@fail.example", client: "192.0.2.11"));
        Assert.StartsWith("550", forged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Helo_whitelist_needs_the_helo_name_to_hold_the_client_address()
    {
        var settings = new SpfdSettings { HeloWhitelist = ["relay.example"] };
        Assert.StartsWith("PREPEND X-Comment: SPF skipped for whitelisted HELO domain", await TestZone.Handler(settings).AskAsync(TestZone.Request("a@fail.example", helo: "relay.example")), StringComparison.Ordinal);
        Assert.StartsWith("550", await TestZone.Handler(settings).AskAsync(TestZone.Request("a@fail.example", helo: "relay.example", client: "192.0.2.99")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reject_not_pass_domains_reject_softfail_for_listed_domains_only()
    {
        var settings = new SpfdSettings { RejectNotPassDomains = ["soft.example"] };
        var zone = TestZone.Create();
        zone.Add("sub.soft.example", DnsRecordType.Txt, "v=spf1 ?all");
        Assert.StartsWith("550 5.7.23 Message rejected due to: Receiver policy for SPF Softfail.", await TestZone.Handler(settings).AskAsync(TestZone.Request("a@soft.example")), StringComparison.Ordinal);
        Assert.StartsWith("550 5.7.23 Message rejected due to: Receiver policy for SPF Neutral.", await TestZone.Handler(settings, zone).AskAsync(TestZone.Request("a@sub.soft.example")), StringComparison.Ordinal);
        Assert.StartsWith("PREPEND", await TestZone.Handler(settings).AskAsync(TestZone.Request("a@neutral.example")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authentication_results_header_when_asked()
    {
        var settings = new SpfdSettings { HeaderType = HeaderType.AuthenticationResults, AuthservId = "mx.test.example" };
        var action = await TestZone.Handler(settings).AskAsync(TestZone.Request("alice@pass.example"));
        Assert.Equal("PREPEND Authentication-Results: mx.test.example; spf=pass (sender SPF authorized) smtp.mailfrom=pass.example (client-ip=192.0.2.10; helo=mx.none.example; envelope-from=alice@pass.example; receiver=example.org)", action);
        var helo = await TestZone.Handler(settings).AskAsync(TestZone.Request(string.Empty, helo: "mx.pass.example"));
        Assert.StartsWith("PREPEND Authentication-Results: mx.test.example; spf=pass (sender SPF authorized) smtp.helo=mx.pass.example", helo, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Header_type_none_adds_nothing_but_still_rejects()
    {
        var settings = new SpfdSettings { HeaderType = HeaderType.None };
        Assert.Equal("DUNNO", await TestZone.Handler(settings).AskAsync(TestZone.Request("alice@pass.example")));
        Assert.StartsWith("550", await TestZone.Handler(settings).AskAsync(TestZone.Request("alice@fail.example")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hide_receiver_hides_the_recipient_domain()
    {
        var settings = new SpfdSettings { HideReceiver = true };
        Assert.EndsWith("receiver=<UNKNOWN>", await TestZone.Handler(settings).AskAsync(TestZone.Request("alice@pass.example")), StringComparison.Ordinal);
        var reject = await TestZone.Handler(settings).AskAsync(TestZone.Request("alice@fail.example"));
        Assert.EndsWith(";r=%3CUNKNOWN%3E", reject, StringComparison.Ordinal);
        Assert.DoesNotContain("example.org", reject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_only_zero_never_rejects()
    {
        var settings = new SpfdSettings { ActOnResults = false, TempErrorDefer = true };
        Assert.Equal("DUNNO", await TestZone.Handler(settings).AskAsync(TestZone.Request("alice@fail.example")));
        Assert.Equal("DUNNO", await TestZone.Handler(settings).AskAsync(TestZone.Request("alice@temp.example")));
        Assert.StartsWith("PREPEND Received-SPF: Pass", await TestZone.Handler(settings).AskAsync(TestZone.Request("alice@pass.example")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prospective_checks_the_given_address_and_adds_no_header()
    {
        var good = new SpfdSettings { Prospective = System.Net.IPAddress.Parse("192.0.2.77"), HeloReject = RejectPolicy.NoCheck };
        Assert.Equal("DUNNO", await TestZone.Handler(good).AskAsync(TestZone.Request("a@pass.example", client: "203.0.113.5")));
        var bad = good with { Prospective = System.Net.IPAddress.Parse("203.0.113.5") };
        Assert.StartsWith("550 5.7.23", await TestZone.Handler(bad).AskAsync(TestZone.Request("a@pass.example", client: "192.0.2.77")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reason_message_template_is_honoured()
    {
        var settings = new SpfdSettings { ReasonMessage = "SPF {rejectdefer}: {spf} ({url})" };
        Assert.Equal("550 5.7.23 SPF rejected: SPF fail - not authorized (http://www.openspf.net/Why?s=mfrom;id=a@fail.example;ip=192.0.2.10;r=example.org)",
            await TestZone.Handler(settings).AskAsync(TestZone.Request("a@fail.example")));
    }

    [Fact]
    public async Task Void_limit_is_configurable()
    {
        Assert.StartsWith("PREPEND Received-SPF: Permerror", await TestZone.Handler().AskAsync(TestZone.Request("a@void.example")), StringComparison.Ordinal);
        Assert.StartsWith("550 5.7.23", await TestZone.Handler(new SpfdSettings { VoidLimit = 5 }).AskAsync(TestZone.Request("a@void.example")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil.example; identity=mailfrom; client-ip=1.2.3.4")]
    [InlineData("evil.example\r\nX-Injected: yes")]
    [InlineData("evil\"example) (comment")]
    public async Task Hostile_helo_and_sender_cannot_inject_fields(string hostile)
    {
        var action = await TestZone.Handler(new SpfdSettings { HeloReject = RejectPolicy.False }).AskAsync(TestZone.Request("a@none.example" + (hostile.Contains('\n') ? hostile : string.Empty), helo: hostile));
        Assert.DoesNotContain('\r', action);
        Assert.DoesNotContain('\n', action);
        Assert.Contains("helo=\"", action, StringComparison.Ordinal);

        // Read as a header parser would: quoted-strings are values, not fields.
        var outsideQuotes = System.Text.RegularExpressions.Regex.Replace(action, "\"(?:[^\"\\\\]|\\\\.)*\"", "Q");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(outsideQuotes, "identity="));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(outsideQuotes, "client-ip="));
        Assert.Contains("identity=mailfrom;", outsideQuotes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unanswered_dns_gives_temperror_within_lookup_time()
    {
        var settings = new SpfdSettings { LookupTime = TimeSpan.FromSeconds(1), TempErrorDefer = true };
        var watch = Stopwatch.StartNew();
        var action = await TestZone.Handler(settings, new SilentResolver()).AskAsync(TestZone.Request("a@pass.example"));
        watch.Stop();
        Assert.StartsWith("DEFER_IF_PERMIT 4.7.24", action, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Requests_without_a_client_address_or_of_another_type_get_dunno()
    {
        var handler = TestZone.Handler();
        Assert.Equal("DUNNO", await handler.AskAsync(TestZone.Request("a@fail.example", client: "unknown")));
        var other = new Mailseal.Policy.PolicyRequest(new Dictionary<string, string> { ["request"] = "junk", ["client_address"] = TestZone.Client, ["sender"] = "a@fail.example" });
        Assert.Equal("DUNNO", await handler.AskAsync(other));
    }

    /// <summary>A resolver whose server never answers: every query waits until cancelled.</summary>
    private sealed class SilentResolver : IDnsResolver
    {
        public async Task<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
