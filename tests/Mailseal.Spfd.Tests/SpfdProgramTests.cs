using System.Net.Sockets;
using System.Text;
using Mailseal.Core.Cli;

namespace Mailseal.Spfd.Tests;

public class SpfdProgramTests
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    private static string Request(string client) =>
        $"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address={client}\nhelo_name=mx.example.com\nsender=a@example.com\nrecipient=b@example.org\ninstance=1.{client}\n\n";

    private static async Task<(int Code, string Out, string Err)> RunAsync(string input, params string[] args)
    {
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes(input));
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        var code = await SpfdProgram.RunAsync(args, new ToolContext(stdin, stdout, stderr), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return (code, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    [Fact]
    public async Task Policyd_spf_conf_as_the_only_argument_works_as_policyd_spf_takes_it()
    {
        var (code, output, err) = await RunAsync(Request("198.51.100.7") + Request("192.0.2.200"), Data("policyd-spf.conf"), "--syslog-socket", "/nonexistent/log");
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, err);
        Assert.Equal(
            "action=PREPEND X-Comment: SPF check N/A for local connections - client-ip=198.51.100.7; helo=mx.example.com; envelope-from=a@example.com; receiver=example.org\n\n"
            + "action=PREPEND X-Comment: SPF skipped for whitelisted relay - client-ip=192.0.2.200; helo=mx.example.com; envelope-from=a@example.com; receiver=example.org\n\n",
            output);
    }

    [Fact]
    public async Task The_installed_policyd_spf_conf_works_unchanged()
    {
        const string installed = "/etc/postfix-policyd-spf-python/policyd-spf.conf";
        Assert.True(File.Exists(installed), $"{installed} is missing: install postfix-policyd-spf-python (tools/install-deps.sh)");
        var (code, output, _) = await RunAsync(Request("127.0.0.1"), "--config", installed, "--syslog-socket", "/nonexistent/log");
        Assert.Equal(0, code);
        Assert.StartsWith("action=PREPEND X-Comment: SPF check N/A for local connections - client-ip=127.0.0.1;", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mailseal_conf_spfd_section_is_read()
    {
        var (code, output, _) = await RunAsync(Request("203.0.113.9"), "--config", Data("mailseal.conf"));
        Assert.Equal(0, code);
        Assert.StartsWith("action=PREPEND X-Comment: SPF check N/A for local connections - client-ip=203.0.113.9;", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flags_win_over_a_policyd_spf_conf()
    {
        var (code, output, _) = await RunAsync(Request("203.0.113.9"), "--config", Data("policyd-spf.conf"), "--skip-addresses", "203.0.113.0/24", "--syslog-socket", "/nonexistent/log");
        Assert.Equal(0, code);
        Assert.StartsWith("action=PREPEND X-Comment: SPF check N/A for local connections - client-ip=203.0.113.9;", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_value_is_one_line_and_exit_75()
    {
        var (code, output, err) = await RunAsync(string.Empty, "--listen", "inet:127.0.0.1:0", "--helo-reject", "Sometimes");
        Assert.Equal(75, code);
        Assert.Equal(string.Empty, output);
        Assert.Equal("mailseal-spfd: helo_reject: 'Sometimes' is not one of Fail, SPF_Not_Pass, Softfail, Null, False, No_Check", err.TrimEnd());
    }

    [Fact]
    public async Task Unknown_policyd_spf_name_names_file_and_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"spfd-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(path, "debugLevel = 1\nHELO_Rejekt = Fail\n");
        try
        {
            var (code, _, err) = await RunAsync(string.Empty, "--listen", "inet:127.0.0.1:0", "--config", path);
            Assert.Equal(75, code);
            Assert.Contains($"{path}:2: unknown policyd-spf name \"HELO_Rejekt\"", err, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Spawn_mode_logs_to_syslog_only()
    {
        var dir = Directory.CreateTempSubdirectory("spfd-syslog-");
        try
        {
            var path = Path.Combine(dir.FullName, "log");
            using var syslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            syslog.Bind(new UnixDomainSocketEndPoint(path));
            var (code, output, err) = await RunAsync(Request("127.0.0.1"), "--syslog-socket", path);
            Assert.Equal(0, code);
            Assert.StartsWith("action=PREPEND", output, StringComparison.Ordinal);
            Assert.Equal(string.Empty, err);
            var buffer = new byte[4096];
            syslog.ReceiveTimeout = 5000;
            var n = syslog.Receive(buffer);
            Assert.Contains("mailseal-spfd[", Encoding.UTF8.GetString(buffer, 0, n), StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Man_page_lists_the_options()
    {
        var (code, output, _) = await RunAsync(string.Empty, "--generate-man-page");
        Assert.Equal(0, code);
        Assert.Contains("mailseal\\-spfd", output, StringComparison.Ordinal);
        Assert.Contains("helo\\-reject", output, StringComparison.Ordinal);
        Assert.Contains("policyd\\-spf.conf", output, StringComparison.Ordinal);
    }
}
