using System.Net;
using System.Net.Sockets;

namespace Mailseal.Policy.Tests;

public class PolicyEndpointTests
{
    [Theory]
    [InlineData("inet:127.0.0.1:10045", "127.0.0.1:10045")]
    [InlineData("inet:[::1]:10045", "[::1]:10045")]
    [InlineData("inet:::1:0", "[::1]:0")]
    public void Parses_inet(string text, string expected)
    {
        var e = PolicyEndpoint.Parse(text);
        Assert.Equal(expected, ((IPEndPoint)e.EndPoint).ToString());
        Assert.Null(e.UnixPath);
    }

    [Fact]
    public void Parses_unix()
    {
        var e = PolicyEndpoint.Parse("unix:/run/mailseal/spfd.sock");
        Assert.IsType<UnixDomainSocketEndPoint>(e.EndPoint);
        Assert.Equal("/run/mailseal/spfd.sock", e.UnixPath);
    }

    [Theory]
    [InlineData("127.0.0.1:10045")]
    [InlineData("inet:localhost:10045")]
    [InlineData("inet:127.0.0.1:99999")]
    [InlineData("inet:127.0.0.1")]
    [InlineData("unix:")]
    [InlineData("tcp:127.0.0.1:1")]
    public void Refuses_bad_addresses_with_a_reason(string text)
    {
        var e = Assert.Throws<FormatException>(() => PolicyEndpoint.Parse(text));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }
}
