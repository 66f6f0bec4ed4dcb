using Mailseal.EndToEnd.Tests.Harness;
using Npgsql;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>
/// mailseal-admin's accounts on the real PostgreSQL and Dovecot of the stack: what it writes,
/// Dovecot's SQL passdb/userdb accepts (a login per hash scheme), and hostile input is stored
/// literally or refused, never executed.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class AdminAccountTests
{
    // Quotes, a semicolon, a backslash and non-ASCII: a password is stored hashed, whatever it holds.
    private const string Password = "it's \"x\"; DROP TABLE users; -- \\ ü";

    private readonly MailStack _stack;

    public AdminAccountTests(MailStack stack) => _stack = stack;

    [Theory]
    [InlineData("ARGON2ID")]
    [InlineData("SHA512-CRYPT")]
    [InlineData("BLF-CRYPT")]
    public async Task An_account_created_by_the_tool_logs_in_over_imap_and_a_wrong_password_is_refused(string scheme)
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var email = $"{scheme.ToLowerInvariant()}-{Guid.NewGuid():N}"[..24] + "@" + MailStack.Domain;
        var keyFile = await KeyFileAsync(email);
        var added = await admin.RunCheckedAsync(["user", "add", email, "--key", keyFile, "--password-scheme", scheme, "--sha512-rounds", "5000", "--bcrypt-cost", "8"], Password + "\n");
        Assert.Contains($"account {email} created", added.StandardOutput, StringComparison.Ordinal);
        Assert.StartsWith("{" + scheme + "}", await ScalarAsync("SELECT password FROM users WHERE email = $1", email), StringComparison.Ordinal);

        Assert.Empty(await _stack.FetchMessagesAsync(email, Password));
        await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(() => _stack.FetchMessagesAsync(email, Password + "x"));

        // a new password replaces the old one
        await admin.RunCheckedAsync(["user", "passwd", email, "--password-scheme", "SHA512-CRYPT", "--sha512-rounds", "5000"], "second-password\r\n");
        Assert.Empty(await _stack.FetchMessagesAsync(email, "second-password"));
        await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(() => _stack.FetchMessagesAsync(email, Password));
    }

    [Fact]
    public async Task An_address_with_quotes_is_stored_literally_as_an_alias_and_refused_as_a_login_dovecot_would_refuse()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var id = Guid.NewGuid().ToString("N")[..8];
        var email = $"owner-{id}@{MailStack.Domain}";
        var quoted = $"o'brien'or'1'='1-{id}@{MailStack.Domain}";
        await admin.RunCheckedAsync(["user", "add", email, "--key", await KeyFileAsync(email)], Password + "\n");
        Assert.Empty(await _stack.FetchMessagesAsync(email, Password));

        // Dovecot's default auth_username_chars refuses the apostrophe before it reads the database
        var refused = await admin.RunAsync(["user", "add", quoted, "--key", await KeyFileAsync(email), "--allow-other-address"], Password + "\n");
        Assert.Equal(65, refused.ExitCode);
        Assert.Contains("auth_username_chars", refused.StandardError, StringComparison.Ordinal);

        await admin.RunCheckedAsync(["alias", "add", quoted, email]);
        Assert.Equal(email, await ScalarAsync("SELECT email FROM aliases WHERE alias = $1", quoted));
        var shown = await admin.RunCheckedAsync(["user", "show", email, "--json"]);
        Assert.Contains("\"o\\u0027brien\\u0027or", shown.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_input_is_refused_with_a_message_and_nothing_changes()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var email = $"victim-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain;
        var keyFile = await KeyFileAsync(email);
        var before = await ScalarAsync("SELECT count(*)::text FROM users", null);

        (string[] Args, string? Stdin, string Why)[] cases =
        [
            (["user", "add", "x;drop@" + MailStack.Domain, "--key", keyFile], Password + "\n", "';' is not allowed"),
            (["user", "add", "x'; DROP TABLE users; --@" + MailStack.Domain, "--key", keyFile], Password + "\n", "space or control"),
            (["user", "add", "../../etc/passwd@" + MailStack.Domain, "--key", keyFile], Password + "\n", "dot may not start"),
            (["user", "add", new string('a', 10240) + "@" + MailStack.Domain, "--key", keyFile], Password + "\n", "too long"),
            (["user", "add", email, "--key", keyFile], new string('p', 10240) + "\n", "longer than"),
            (["user", "add", email, "--key", keyFile], "a\0b\n", "NUL"),
            (["user", "add", email, "--key", keyFile], "\n", "empty"),
            (["user", "add", email, "--key", "../../../etc/shadow"], Password + "\n", "no key file"),
            (["user", "add", email, "--key", "/etc/hostname"], Password + "\n", "not an OpenPGP public key"),
            (["user", "add", email, "--key", keyFile, "--password-scheme", "PLAIN"], Password + "\n", "unknown password scheme"),
            (["user", "add", email, "--key", keyFile, "--password-scheme", "BLF-CRYPT"], new string('p', 73) + "\n", "72 bytes"),
            (["alias", "add", "a;b@" + MailStack.Domain, email], null, "';' is not allowed"),
            (["alias", "add", "ghost-" + Guid.NewGuid().ToString("N")[..8] + "@" + MailStack.Domain, "nobody-" + Guid.NewGuid().ToString("N")[..8] + "@" + MailStack.Domain], null, "there is no account"),
        ];
        foreach (var (args, stdin, why) in cases)
        {
            var r = await admin.RunAsync(args, stdin);
            Assert.True(r.ExitCode == 65, $"{string.Join(' ', args)[..Math.Min(80, string.Join(' ', args).Length)]}: exit {r.ExitCode}: {r.Output}");
            Assert.Contains(why, r.StandardError, StringComparison.Ordinal);
            Assert.Single(r.StandardError.Trim().Split('\n'));
            Assert.DoesNotContain("   at ", r.Output, StringComparison.Ordinal);
            Assert.True(r.StandardError.Length < 1000, "the refusal line is bounded");
        }

        Assert.Equal(before, await ScalarAsync("SELECT count(*)::text FROM users", null));
        Assert.Null(await ScalarAsync("SELECT email FROM users WHERE email = $1", email));
    }

    [Fact]
    public async Task Aliases_are_listed_and_removed_with_their_account_and_an_address_is_never_both()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var id = Guid.NewGuid().ToString("N")[..8];
        var email = $"owner-{id}@{MailStack.Domain}";
        var alias = $"Alias-{id}@{MailStack.Domain}";
        await admin.RunCheckedAsync(["user", "add", email, "--key", await KeyFileAsync(email)], Password + "\n");
        await admin.RunCheckedAsync(["alias", "add", alias, email]);
        var list = await admin.RunCheckedAsync(["alias", "list", email]);
        Assert.Contains($"alias-{id}@{MailStack.Domain}  {email}", list.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(65, (await admin.RunAsync(["alias", "add", email, email])).ExitCode);
        Assert.Contains("is an alias", (await admin.RunAsync(["user", "add", alias, "--key", await KeyFileAsync(alias)], Password + "\n")).StandardError, StringComparison.Ordinal);
        Assert.Contains("exists already", (await admin.RunAsync(["alias", "add", alias, email])).StandardError, StringComparison.Ordinal);

        var users = await admin.RunCheckedAsync(["user", "list", "--json"]);
        Assert.Contains($"\"address\": \"{email}\"", users.StandardOutput, StringComparison.Ordinal);
        var removed = await admin.RunCheckedAsync(["user", "remove", email]);
        Assert.Contains($"with its aliases alias-{id}@{MailStack.Domain}", removed.StandardOutput, StringComparison.Ordinal);
        Assert.Null(await ScalarAsync("SELECT alias FROM aliases WHERE alias = $1", $"alias-{id}@{MailStack.Domain}"));
        Assert.Equal(65, (await admin.RunAsync(["user", "remove", email])).ExitCode);
    }

    private async Task<string> KeyFileAsync(string email)
    {
        var key = await _stack.GenerateKeyAsync(email);
        var path = Path.Combine(_stack.TempDirectory, "admin-key-" + Guid.NewGuid().ToString("N")[..8] + ".asc");
        await File.WriteAllTextAsync(path, key.PublicKeyArmored);
        return path;
    }

    private async Task<string?> ScalarAsync(string sql, string? value)
    {
        await using var db = await _stack.OpenDatabaseAsync();
#pragma warning disable CA2100 // the tests' own constant SQL
        await using var cmd = new NpgsqlCommand(sql, db);
#pragma warning restore CA2100
        if (value is not null)
            cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        return await cmd.ExecuteScalarAsync() as string;
    }
}
