using System.Text;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>
/// An account and an alias made with mailseal-admin, with mailseal-pipe as Postfix's
/// content_filter (set up as in PipeStackTests): mail to the alias reaches the account,
/// encrypted to the key the tool stored, and GnuPG decrypts it.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class AdminDeliveryTests : IAsyncLifetime
{
    private const string Outside = "someone@example.org";

    private readonly MailStack _stack;
    private string _configFile = string.Empty;

    public AdminDeliveryTests(MailStack stack) => _stack = stack;

    public async Task InitializeAsync()
    {
        var dir = await _stack.ToolsDirectoryAsync();
        var state = Path.Combine(_stack.TempDirectory, "admin-pipe-" + Guid.NewGuid().ToString("N")[..8]);
        await ProcessRunner.RunCheckedAsync("install", ["-d", "-m", "750", "-o", MailStack.PipeUser, "-g", MailStack.PipeUser, state]);
        _configFile = Path.Combine(state, "mailseal.conf");
        var tmp = _configFile + ".tmp";
        await File.WriteAllTextAsync(tmp, $"""
            database = {_stack.ReaderConnectionString}
            local_domains = {MailStack.Domain}
            key_dir = {state}

            [pipe]
            spamd = inet:127.0.0.1:{_stack.SpamdPort}
            postfix_config = {_stack.PostfixConfigDirectory}

            """);
        await ProcessRunner.RunCheckedAsync("chown", [$"root:{MailStack.PipeUser}", tmp]);
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.Move(tmp, _configFile, overwrite: true);
        await _stack.ApplyPostfixFragmentAsync("postfix/mailseal-pipe.postconf", new Dictionary<string, string>
        {
            ["MAILSEAL_PIPE"] = Path.Combine(dir, "mailseal-pipe"),
            ["MAILSEAL_CONF"] = _configFile,
            ["PIPE_USER"] = MailStack.PipeUser,
            ["REINJECT_SERVICE"] = $"127.0.0.1:{FreePorts.Take(1)[0]}",
            ["MESSAGE_SIZE_LIMIT"] = "1000000",
            ["REINJECT_SIZE_LIMIT"] = "1500000",
        });
    }

    public Task DisposeAsync() => _stack.ResetPostfixConfigAsync();

    [Fact]
    public async Task Mail_to_an_alias_made_by_the_tool_reaches_the_account_encrypted_to_its_key()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var id = Guid.NewGuid().ToString("N")[..8];
        var email = $"holder-{id}@{MailStack.Domain}";
        var alias = $"contact-{id}@{MailStack.Domain}";
        var key = await _stack.GenerateKeyAsync(email);
        var keyFile = Path.Combine(_stack.TempDirectory, $"admin-delivery-{id}.asc");
        await File.WriteAllTextAsync(keyFile, key.PublicKeyArmored);
        await admin.RunCheckedAsync(["user", "add", email, "--key", keyFile], "holder-password\n");
        await admin.RunCheckedAsync(["alias", "add", alias, email]);

        var body = $"to the alias {Guid.NewGuid():N}";
        await _stack.SendAsync(Outside, [alias], MailStack.BuildMessage(Outside, alias, "alias", body));

        var stored = Encoding.UTF8.GetString(Assert.Single(await _stack.WaitForMessagesAsync(email, "holder-password", 1, TimeSpan.FromSeconds(60))));
        Assert.DoesNotContain(body, stored, StringComparison.Ordinal);
        Assert.Contains("multipart/encrypted", stored, StringComparison.Ordinal);
        var begin = stored.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        var end = stored.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal) + "-----END PGP MESSAGE-----".Length;
        var decrypted = await ProcessRunner.RunAsync("gpg", ["--homedir", key.GnupgHome, "--batch", "--quiet", "--no-tty", "--decrypt"], stored[begin..end] + "\n");
        Assert.True(decrypted.ExitCode == 0, decrypted.StandardError);
        Assert.Contains(body, decrypted.StandardOutput, StringComparison.Ordinal);
    }
}
