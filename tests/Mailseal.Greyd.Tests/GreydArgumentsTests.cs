namespace Mailseal.Greyd.Tests;

/// <summary>postgrey's command line, as Debian's POSTGREY_OPTS and the tutorial write it, rewritten for mailseal-greyd.</summary>
public class GreydArgumentsTests
{
    [Theory]
    [InlineData("--inet=10023", "--listen", "inet:127.0.0.1:10023")]
    [InlineData("--inet=127.0.0.1:10023", "--listen", "inet:127.0.0.1:10023")]
    [InlineData("--inet=localhost:10023", "--listen", "inet:127.0.0.1:10023")]
    [InlineData("--inet=[::1]:10023", "--listen", "inet:[::1]:10023")]
    [InlineData("--unix=/var/spool/postfix/postgrey/socket", "--listen", "unix:/var/spool/postfix/postgrey/socket")]
    public void Listen_addresses_become_policy_endpoints(string arg, string flag, string endpoint)
    {
        var (args, ignored) = GreydArguments.Rewrite([arg]);
        Assert.Equal([flag, endpoint], args);
        Assert.Empty(ignored);
    }

    [Fact]
    public void The_tutorials_and_debians_options_are_accepted()
    {
        var (args, ignored) = GreydArguments.Rewrite(["--pidfile=/var/run/postgrey.pid", "--daemonize", "--inet=10023", "--delay=30", "--user", "postgrey", "--lookup-by-subnet", "--auto-whitelist-clients", "-v", "--greylist-text=-try later=now"]);
        Assert.Equal(["--listen", "inet:127.0.0.1:10023", "--delay=30", "--auto-whitelist-clients=5", "--verbosity=2", "--greylist-text", "-try later=now"], args);
        Assert.Equal(["--pidfile", "--daemonize", "--user"], ignored);
    }

    [Theory]
    [InlineData(new[] { "--auto-whitelist-clients=0" }, "--auto-whitelist-clients=0")]
    [InlineData(new[] { "--auto-whitelist-clients", "3" }, "--auto-whitelist-clients=3")]
    [InlineData(new[] { "--auto-whitelist-clients=" }, "--auto-whitelist-clients=5")]
    public void Auto_whitelist_clients_takes_an_optional_number(string[] input, string expected) =>
        Assert.Equal([expected], GreydArguments.Rewrite(input).Args);

    [Theory]
    [InlineData("--inet=mail.example:10023")]
    [InlineData("--inet=host")]
    [InlineData("--inet")]
    public void Bad_listen_addresses_are_refused(string arg) =>
        Assert.Throws<FormatException>(() => GreydArguments.Rewrite([arg]));
}
