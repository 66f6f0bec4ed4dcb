using Mailseal.Core.Keys;

namespace Mailseal.Core.Tests.Keys;

/// <summary>
/// Addresses Postfix's resolver delivers to a local mailbox though their last domain is not
/// local: routed through a domain of Postfix's own (localhost, an address literal of its
/// interface), its resolver strips that domain and reads the local part again. The filter must
/// find the mailbox's key, or defer, never pass them as "not local".
/// </summary>
public sealed class RoutedAddressKeyDirectoryTests
{
    private static (RoutedAddressKeyDirectory Routed, InMemoryKeyDirectory Inner) Directory()
    {
        var inner = new InMemoryKeyDirectory(new KeyDirectoryOptions { LocalDomains = ["example.org"], TimeProvider = FixedClock.KeysValid });
        inner.AddKeyData("alice@example.org", TestKeys.Read("alice.asc"));
        return (new RoutedAddressKeyDirectory(inner), inner);
    }

    [Theory]
    [InlineData("bob@example.org@localhost", new[] { "bob@example.org" })]
    [InlineData("\"bob@example.org\"@localhost", new[] { "bob@example.org" })]
    [InlineData("bob%example.org@localhost", new[] { "bob@example.org" })]
    [InlineData("example.org!bob@localhost", new[] { "bob@example.org" })]
    [InlineData("bob@example.org@[127.0.0.1]", new[] { "bob@example.org" })]
    [InlineData("@a.example,@b.example:bob@example.org", new[] { "bob@example.org" })]
    [InlineData("<bob%example.org%relay.example@localhost>", new[] { "bob%example.org@relay.example", "bob@example.org" })]
    [InlineData("bob@example.org", new string[0])]
    [InlineData("bob+ext@example.org", new string[0])]
    [InlineData("%@localhost", new string[0])]
    [InlineData("bob%@localhost", new string[0])]
    [InlineData("!bob@localhost", new string[0])]
    public void Route_targets_are_each_address_a_routing_operator_can_lead_to(string address, string[] expected) =>
        Assert.Equal(expected, RoutedAddressKeyDirectory.RouteTargets(address));

    [Fact]
    public void Route_targets_are_bounded()
    {
        string deep = string.Concat(Enumerable.Repeat("a%b!c@", 200)) + "localhost";
        Assert.InRange(RoutedAddressKeyDirectory.RouteTargets(deep).Count, 1, RoutedAddressKeyDirectory.MaxRouteTargets);
    }

    [Theory]
    [InlineData("alice%example.org@localhost")]
    [InlineData("alice@example.org@localhost")]
    [InlineData("\"alice@example.org\"@localhost")]
    [InlineData("example.org!alice@localhost")]
    [InlineData("alice@example.org@[127.0.0.1]")]
    [InlineData("@a.example,@b.example:alice@example.org")]
    [InlineData("\"alice\"@example.org")]
    [InlineData("alice@example.org.")]
    public async Task A_routed_form_of_a_local_address_finds_its_key(string address)
    {
        var (routed, _) = Directory();
        KeyLookupResult r = await routed.LookupAsync(address, CancellationToken.None);
        Assert.True(r.IsLocal);
        Assert.True(r.HasUsableKey, r.Reason);
        Assert.Equal(TestKeys.AliceFingerprint, r.Certificate!.FingerprintHex);
    }

    [Fact]
    public async Task A_routed_form_of_a_local_address_without_a_key_is_local_and_keyless()
    {
        var (routed, _) = Directory();
        KeyLookupResult r = await routed.LookupAsync("carol%example.org@localhost", CancellationToken.None);
        Assert.True(r.IsLocal);
        Assert.False(r.HasUsableKey);
        Assert.Equal("no key for carol@example.org", r.Reason);
    }

    [Theory]
    [InlineData("someone%elsewhere.example@localhost")]
    [InlineData("someone@elsewhere.example")]
    [InlineData("someone@[192.0.2.1]")]
    public async Task An_address_that_is_not_local_by_any_reading_stays_not_local(string address)
    {
        var (routed, _) = Directory();
        KeyLookupResult r = await routed.LookupAsync(address, CancellationToken.None);
        Assert.False(r.IsLocal);
        Assert.False(r.Found);
    }

    [Fact]
    public async Task An_address_local_as_written_is_looked_up_once()
    {
        var (routed, inner) = Directory();
        KeyLookupResult r = await routed.LookupAsync("x%y@example.org", CancellationToken.None);
        Assert.True(r.IsLocal);
        Assert.False(r.HasUsableKey); // Postfix delivers x%y@example.org to that mailbox, if it exists: no key, defer
        Assert.Equal(1, inner.LookupCount);
    }

    [Fact]
    public async Task A_failing_store_fails_the_routed_lookup_too()
    {
        var (routed, inner) = Directory();
        inner.FailWith = new KeyDirectoryException("key database: down");
        await Assert.ThrowsAsync<KeyDirectoryException>(() => routed.LookupAsync("alice%example.org@localhost", CancellationToken.None));
    }
}
