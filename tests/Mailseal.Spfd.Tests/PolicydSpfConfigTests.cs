namespace Mailseal.Spfd.Tests;

public class PolicydSpfConfigTests
{
    [Fact]
    public void Detects_policyd_spf_files_and_not_mailseal_conf()
    {
        Assert.True(PolicydSpfConfig.IsPolicydSpfConfig("debugLevel = 1\nHELO_reject = Fail\n"));
        Assert.False(PolicydSpfConfig.IsPolicydSpfConfig("syslog_socket = /dev/log\n[spfd]\nhelo_reject = Fail\n"));
        Assert.False(PolicydSpfConfig.IsPolicydSpfConfig("# only a comment\n"));
    }

    [Fact]
    public void Translates_names_and_keeps_values()
    {
        var (values, ignored) = PolicydSpfConfig.Translate("f", "HELO_reject = SPF_Not_Pass\nReason_Message = a = b {url}\nWhitelist =\nMock = True\nPermError_reject = True \n");
        Assert.Equal("SPF_Not_Pass", values["helo_reject"]);
        Assert.Equal("a = b {url}", values["reason_message"]);
        Assert.Equal(string.Empty, values["whitelist"]);
        Assert.Equal("True", values["permerror_reject"]);
        Assert.Equal(["Mock"], ignored);
    }

    [Theory]
    [InlineData("no equals sign here", "f:1: expected 'Name = value'")]
    [InlineData("\nBogus_Name = 1", "f:2: unknown policyd-spf name \"Bogus_Name\"")]
    public void Bad_lines_name_file_and_line(string text, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => PolicydSpfConfig.Translate("f", text)).Message);
    }

    [Fact]
    public void Positional_policyd_spf_conf_is_found_after_flags_of_either_form()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "policyd-spf.conf");
        var (args, _) = SpfdArguments.Rewrite(["--listen=inet:127.0.0.1:0", path, "--lookup-time", "9"]);
        Assert.DoesNotContain(path, args);
        Assert.Contains("--helo-reject=SPF_Not_Pass", args);
        Assert.DoesNotContain("--lookup-time=5", args);
        Assert.Equal(["--listen=inet:127.0.0.1:0", "--lookup-time", "9"], args.TakeLast(3));
    }
}
