using System.Text;
using Mailseal.Core.Cli;

namespace Mailseal.Greyd.Tests;

/// <summary>The program as the admin runs it: spawn mode on stdin/stdout, mailseal.conf, bad values, the man page, the import.</summary>
public sealed class GreydProgramTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    private static string Request(string sender) =>
        $"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.1\nclient_name=unknown\nsender={sender}\nrecipient=b@example.org\ninstance=1\netrn_domain=\n\n";

    private static async Task<(int Code, string Out, string Err)> RunAsync(string input, params string[] args)
    {
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes(input));
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        var code = await GreydProgram.RunAsync(args, new ToolContext(stdin, stdout, stderr), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return (code, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    [Fact]
    public async Task The_greyd_section_of_mailseal_conf_is_read_and_flags_win()
    {
        var store = "sqlite:" + Path.Combine(_dir.Path, "g.sqlite");
        var (code, output, _) = await RunAsync(Request("a@x.example"), "--config", Data("mailseal.conf"), "--store", store);
        Assert.Equal(0, code);
        Assert.Equal("action=DEFER_IF_PERMIT 4.2.0 From the config file, 60 seconds left for example.org\n\n", output);

        (code, output, _) = await RunAsync(Request("c@x.example"), "--config", Data("mailseal.conf"), "--store", store, "--delay=5");
        Assert.Equal("action=DEFER_IF_PERMIT 4.2.0 From the config file, 5 seconds left for example.org\n\n", output);
    }

    [Theory]
    [InlineData("--delay=soon")]
    [InlineData("--retry-window=2d")]
    [InlineData("--store=mysql:x")]
    [InlineData("--store-unavailable=maybe")]
    [InlineData("--inet=mail.example:10023")]
    [InlineData("--whitelist-clients=/nonexistent/whitelist")]
    public async Task A_bad_value_exits_75_with_one_line_and_no_stack_trace(string bad)
    {
        var (code, _, err) = await RunAsync(string.Empty, "--listen", "inet:127.0.0.1:0", "--store", "sqlite:" + Path.Combine(_dir.Path, "g.sqlite"), bad, "--syslog-socket", "/nonexistent/log");
        Assert.Equal(75, code);
        Assert.StartsWith("mailseal-greyd: ", err, StringComparison.Ordinal);
        Assert.DoesNotContain(" at Mailseal.", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_embedded_store_that_cannot_open_exits_75()
    {
        var (code, _, err) = await RunAsync(string.Empty, "--listen", "inet:127.0.0.1:0", "--dbdir=/nonexistent/dir", "--syslog-socket", "/nonexistent/log", "--whitelist-clients=/dev/null", "--whitelist-recipients=/dev/null");
        Assert.Equal(75, code);
        Assert.Contains("cannot open the greylist store sqlite:/nonexistent/dir/greyd.sqlite", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_man_page_names_every_postgrey_option()
    {
        var (code, output, _) = await RunAsync(string.Empty, "--generate-man-page");
        Assert.Equal(0, code);
        Assert.Contains(".TH", output, StringComparison.Ordinal);
        foreach (var option in new[] { "delay", "max\\-age", "retry\\-window", "lookup\\-by\\-host", "ipv4cidr", "ipv6cidr", "auto\\-whitelist\\-clients", "whitelist\\-clients", "whitelist\\-recipients", "greylist\\-action", "greylist\\-text", "privacy", "store", "import\\-postgrey" })
            Assert.Contains("\\-\\-" + option, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_reads_a_db_dump_and_keeps_the_triplets()
    {
        // A stand-in for db_dump that prints the recorded dump; the real postgrey and db_dump run in the end-to-end tests.
        var postgreyDir = Path.Combine(_dir.Path, "postgrey");
        Directory.CreateDirectory(postgreyDir);
        File.WriteAllText(Path.Combine(postgreyDir, "postgrey.db"), string.Empty);
        var fake = Path.Combine(_dir.Path, "db_dump");
        File.WriteAllText(fake, $"#!/bin/sh\ncat '{Data("postgrey/postgrey.dump")}'\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var store = "sqlite:" + Path.Combine(_dir.Path, "g.sqlite");
        var (code, output, err) = await RunAsync(string.Empty, "--import-postgrey", postgreyDir, "--db-dump", fake, "--store", store, "--whitelist-clients=/dev/null", "--whitelist-recipients=/dev/null", "--syslog-socket", "/nonexistent/log");
        Assert.True(code == 0, err);
        Assert.StartsWith($"imported 3 triplets and 0 clients from {postgreyDir}", output, StringComparison.Ordinal);

        // The imported triplet passed postgrey's delay: it passes here without waiting.
        var request = "request=smtpd_access_policy\nclient_address=192.0.2.44\nclient_name=unknown\nsender=alice@sender.example\nrecipient=bob@example.test\ninstance=x\n\n";
        (code, output, _) = await RunAsync(request, "--store", store, "--whitelist-clients=/dev/null", "--whitelist-recipients=/dev/null", "--syslog-socket", "/nonexistent/log");
        Assert.Equal("action=DUNNO\n\n", output);
    }
}
