using System.Text;
using Mailseal.Core.Cli;

namespace Mailseal.Admin.Tests;

public class AdminProgramTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "admin-tests-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _config;

    public AdminProgramTests()
    {
        Directory.CreateDirectory(_dir);
        _config = Path.Combine(_dir, "mailseal.conf");
        File.WriteAllText(_config, $"key_dir = {_dir}/keys\n\n[admin]\npassword_scheme = SHA512-CRYPT\n");
        Directory.CreateDirectory(Path.Combine(_dir, "keys"));
    }

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static string Key(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "keys", name);

    private async Task<(int Code, string Out, string Err)> RunAsync(string stdin, params string[] args)
    {
        var output = new MemoryStream();
        var error = new StringWriter();
        int code = await AdminProgram.RunAsync(["--config", _config, .. args], new ToolContext(new MemoryStream(Encoding.UTF8.GetBytes(stdin)), output, error), CancellationToken.None);
        return (code, Encoding.UTF8.GetString(output.ToArray()), error.ToString());
    }

    [Fact]
    public async Task Without_a_database_the_account_commands_say_how_to_configure_one()
    {
        var (code, _, err) = await RunAsync("pw\n", "user", "add", "alice@example.org", "--key", Key("alice.asc"));
        Assert.Equal(78, code);
        Assert.Contains("no database", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_usage_error_exits_64_with_one_line()
    {
        var (code, _, err) = await RunAsync(string.Empty, "user", "frobnicate");
        Assert.Equal(64, code);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public async Task Refused_input_exits_65_before_any_store_is_touched()
    {
        var (code, _, err) = await RunAsync("pw\n", "--database", "Host=192.0.2.1;Timeout=1", "user", "add", "a;b@example.org", "--key", Key("alice.asc"));
        Assert.Equal(65, code);
        Assert.Contains("';' is not allowed", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_account_whose_login_dovecot_would_refuse_is_refused()
    {
        var (code, _, err) = await RunAsync("pw\n", "--database", "Host=192.0.2.1;Timeout=1", "user", "add", "o'brien@example.org", "--key", Key("alice.asc"));
        Assert.Equal(65, code);
        Assert.Contains("auth_username_chars", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_go_to_the_folder_from_the_config_and_are_shown_and_watched()
    {
        var (code, output, err) = await RunAsync(string.Empty, "key", "import", "Alice@Example.org", Key("alice.asc"));
        Assert.True(code == 0, err);
        Assert.Contains("stored for alice@example.org", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "keys", "alice@example.org.asc")));

        (code, output, _) = await RunAsync(string.Empty, "key", "show", "alice@example.org");
        Assert.Equal(0, code);
        Assert.Contains("usable", output, StringComparison.Ordinal);
        Assert.Contains("Alice <alice@example.org>", output, StringComparison.Ordinal);

        (code, output, _) = await RunAsync(string.Empty, "key", "expiring", "--days", "30");
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, output);

        File.Copy(Key("bob-expired.asc"), Path.Combine(_dir, "keys", "bob@example.org.asc"));
        (code, output, _) = await RunAsync(string.Empty, "key", "expiring", "--json");
        Assert.Equal(1, code);
        Assert.Contains("\"address\": \"bob@example.org\"", output, StringComparison.Ordinal);
        Assert.Contains("expired on", output, StringComparison.Ordinal);

        (code, output, err) = await RunAsync(string.Empty, "wkd", "export", Path.Combine(_dir, "wkd"));
        Assert.Equal(1, code);
        Assert.Contains("1 key(s) written", output, StringComparison.Ordinal);
        Assert.Contains("skipped bob@example.org", err, StringComparison.Ordinal);

        // The account's key goes away: the next export removes its files from both layouts.
        string direct = Path.Combine(_dir, "wkd", "direct", "example.org", ".well-known", "openpgpkey", "hu");
        string advanced = Path.Combine(_dir, "wkd", "advanced", ".well-known", "openpgpkey", "example.org", "hu");
        Assert.Single(Directory.GetFiles(direct));
        Assert.Single(Directory.GetFiles(advanced));
        File.Delete(Path.Combine(_dir, "keys", "alice@example.org.asc"));
        (_, output, _) = await RunAsync(string.Empty, "wkd", "export", Path.Combine(_dir, "wkd"));
        Assert.Contains("0 key(s) written", output, StringComparison.Ordinal);
        Assert.Contains("2 stale file(s) removed", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(direct));
        Assert.Empty(Directory.GetFiles(advanced));
    }

    [Fact]
    public async Task The_man_page_names_the_tool_and_its_commands()
    {
        var (code, output, _) = await RunAsync(string.Empty, "--generate-man-page");
        Assert.Equal(0, code);
        Assert.Contains(".TH \"MAILSEAL\\-ADMIN\" \"8\"", output, StringComparison.Ordinal);
        Assert.Contains("EXAMPLES", output, StringComparison.Ordinal);
        Assert.Contains("password", output, StringComparison.Ordinal);
    }
}
