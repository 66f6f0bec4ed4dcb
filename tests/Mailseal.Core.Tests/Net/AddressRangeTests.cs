using System.Net;
using Mailseal.Core.Net;

namespace Mailseal.Core.Tests.Net;

public sealed class AddressRangeTests
{
    [Theory]
    [InlineData("192.0.2.1", 24, "192.0.2.200", true)]
    [InlineData("192.0.2.1", 24, "192.0.3.1", false)]
    [InlineData("192.0.2.129", 25, "192.0.2.128", true)] // host bits of the written address are cleared (RFC 7208 5.6)
    [InlineData("192.0.2.129", 25, "192.0.2.127", false)]
    [InlineData("192.0.2.1", 32, "192.0.2.1", true)]
    [InlineData("192.0.2.1", 32, "192.0.2.2", false)]
    [InlineData("10.0.0.0", 0, "203.0.113.9", true)]
    [InlineData("2001:db8::1", 32, "2001:db8:ffff::9", true)]
    [InlineData("2001:db8::1", 33, "2001:db8:8000::", false)]
    [InlineData("2001:db8::1", 128, "2001:db8::1", true)]
    public void Spf_reading_matches_the_prefix_of_the_written_address(string network, int prefix, string address, bool inside)
    {
        Assert.Equal(inside, AddressRange.Create(IPAddress.Parse(network), prefix).Contains(IPAddress.Parse(address)));
    }

    [Fact]
    public void Spf_reading_never_crosses_address_families()
    {
        // ip4:192.0.2.0/24 does not match a client written IPv4-mapped, nor ip6 a plain IPv4 one:
        // SPF's evaluator passes the client in its own family
        Assert.False(AddressRange.Create(IPAddress.Parse("192.0.2.0"), 24).Contains(IPAddress.Parse("::ffff:192.0.2.1")));
        Assert.False(AddressRange.Create(IPAddress.Parse("::ffff:192.0.2.0"), 120).Contains(IPAddress.Parse("192.0.2.1")));
        Assert.False(AddressRange.Create(IPAddress.Parse("0.0.0.0"), 0).Contains(IPAddress.Parse("2001:db8::1")));
    }

    [Fact]
    public void A_prefix_longer_than_the_address_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AddressRange.Create(IPAddress.Parse("192.0.2.0"), 33));
        Assert.Throws<ArgumentOutOfRangeException>(() => AddressRange.Create(IPAddress.Parse("2001:db8::"), 129));
    }

    [Fact]
    public void Spfd_ranges_match_both_ipv4_forms()
    {
        var loopback = AddressRange.Parse("::ffff:127.0.0.0/104", "x");
        Assert.True(loopback.ContainsEitherForm(IPAddress.Parse("127.0.0.9")));
        Assert.True(loopback.ContainsEitherForm(IPAddress.Parse("::ffff:127.1.2.3")));
        Assert.False(loopback.ContainsEitherForm(IPAddress.Parse("128.0.0.1")));
        var v4 = AddressRange.Parse("192.0.2.0/24", "x");
        Assert.True(v4.ContainsEitherForm(IPAddress.Parse("::ffff:192.0.2.1")));
        Assert.True(v4.ContainsEitherForm(IPAddress.Parse("192.0.2.77")));
        Assert.False(v4.ContainsEitherForm(IPAddress.Parse("2001:db8::1")));
        Assert.Equal("192.0.2.0/24", v4.Text);
    }

    [Theory]
    [InlineData("192.0.2.0/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("192.0.2.0/-1")]
    [InlineData("192.0.2.0/")]
    [InlineData("example.com")]
    public void Bad_ranges_are_refused_naming_the_option(string text)
    {
        var e = Assert.Throws<FormatException>(() => AddressRange.Parse(text, "skip_addresses"));
        Assert.StartsWith("skip_addresses: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_takes_commas_spaces_and_tabs()
    {
        var list = AddressRange.ParseList("127.0.0.0/8, ::1\t192.0.2.1", "skip_addresses");
        Assert.Equal(["127.0.0.0/8", "::1", "192.0.2.1"], list.Select(r => r.Text));
        Assert.True(list[2].Contains(IPAddress.Parse("192.0.2.1")));
        Assert.False(list[2].Contains(IPAddress.Parse("192.0.2.2")));
    }
}
