using System.Net;

namespace Mailseal.Pipeline.Tests;

public class ServiceEndpointTests
{
    [Theory]
    [InlineData("inet:127.0.0.1:783", "127.0.0.1", 783)]
    [InlineData("127.0.0.1:10783", "127.0.0.1", 10783)]
    [InlineData("[::1]:783", "::1", 783)]
    [InlineData("inet:[::1]:783", "::1", 783)]
    public void ParsesInet(string text, string address, int port)
    {
        var ep = Assert.IsType<IPEndPoint>(ServiceEndpoint.Parse(text).EndPoint);
        Assert.Equal(IPAddress.Parse(address), ep.Address);
        Assert.Equal(port, ep.Port);
    }

    [Fact]
    public void Parses_host_name_and_unix()
    {
        Assert.IsType<DnsEndPoint>(ServiceEndpoint.Parse("localhost:783").EndPoint);
        var unix = ServiceEndpoint.Parse("unix:/run/spamd.sock");
        Assert.True(unix.IsUnix);
    }

    [Theory]
    [InlineData("unix:relative.sock")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("127.0.0.1:")]
    [InlineData(":783")]
    public void Rejects_bad_endpoints_with_a_reason(string text)
    {
        var e = Assert.Throws<FormatException>(() => ServiceEndpoint.Parse(text));
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }
}
