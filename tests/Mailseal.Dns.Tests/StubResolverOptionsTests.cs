using System.Net;

namespace Mailseal.Dns.Tests;

public sealed class StubResolverOptionsTests
{
    [Fact]
    public void Reads_nameservers_and_timeout_and_attempts_from_resolv_conf()
    {
        StubResolverOptions options = StubResolverOptions.ParseResolvConf("""
            # comment
            search example.test
            nameserver 192.0.2.53
            nameserver 2001:db8::53 ; trailing comment
            nameserver fe80::1%eth0
            nameserver not-an-address
            options ndots:2 timeout:3 attempts:4 rotate
            """);

        Assert.Equal(3, options.Servers.Count);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53), options.Servers[0]);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::53"), 53), options.Servers[1]);

        // A link-local server keeps its zone when the interface exists; either way the address and port are right.
        Assert.Equal(IPAddress.Parse("fe80::1").GetAddressBytes(), options.Servers[2].Address.GetAddressBytes());
        Assert.Equal(53, options.Servers[2].Port);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Timeout);
        Assert.Equal(4, options.Attempts);
    }

    [Fact]
    public void Caps_options_like_glibc_and_falls_back_to_loopback()
    {
        StubResolverOptions options = StubResolverOptions.ParseResolvConf("options timeout:99 attempts:0\n");

        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 53)], options.Servers);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Timeout);
        Assert.Equal(1, options.Attempts);
    }

    [Fact]
    public void Defaults_when_the_file_is_missing()
    {
        StubResolverOptions options = StubResolverOptions.FromResolvConf("/nonexistent/resolv.conf");

        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 53)], options.Servers);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Timeout);
        Assert.Equal(2, options.Attempts);
        Assert.Equal((ushort)4096, options.EdnsBufferSize);
        Assert.Equal(10000, options.CacheMaxEntries);
    }
}
