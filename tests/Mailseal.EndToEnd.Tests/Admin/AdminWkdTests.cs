using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>mailseal-admin wkd export from the key folder, checked with GnuPG's own WKD tools.</summary>
[Collection(MailStackCollection.Name)]
public sealed class AdminWkdTests
{
    private readonly MailStack _stack;

    public AdminWkdTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task The_exported_tree_has_gpg_wks_client_names_and_keys_with_only_the_address_user_id()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var id = Guid.NewGuid().ToString("N")[..8];
        var folder = Path.Combine(_stack.TempDirectory, "admin-wkd-keys-" + id);
        var output = Path.Combine(_stack.TempDirectory, "admin-wkd-" + id);
        Directory.CreateDirectory(folder);
        var email = $"Wkd.User-{id}@{MailStack.Domain}".ToLowerInvariant();
        var key = await _stack.GenerateKeyAsync(email);
        // a second user id on the same key, which the directory must not reveal
        string[] g = ["--homedir", key.GnupgHome, "--batch", "--quiet", "--no-tty", "--passphrase", string.Empty, "--pinentry-mode", "loopback"];
        await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--quick-add-uid", key.Fingerprint, $"Other <private-{id}@example.org>"]);
        var exported = await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--armor", "--export", key.Fingerprint]);
        await ProcessRunner.RunAsync("gpgconf", ["--homedir", key.GnupgHome, "--kill", "all"]);
        var keyFile = Path.Combine(_stack.TempDirectory, $"admin-wkd-{id}.asc");
        await File.WriteAllTextAsync(keyFile, exported.StandardOutput);
        await admin.RunCheckedAsync(["key", "import", email, keyFile, "--store", "folder", "--key-dir", folder]);

        var r = await admin.RunCheckedAsync(["wkd", "export", output, "--store", "folder", "--key-dir", folder]);
        Assert.Contains("1 key(s) written", r.StandardOutput, StringComparison.Ordinal);

        var hash = (await ProcessRunner.RunCheckedAsync("/usr/lib/gnupg/gpg-wks-client", ["--print-wkd-hash", email])).StandardOutput.Trim().Split(' ')[0];
        foreach (var root in new[] { Path.Combine(output, "advanced", ".well-known", "openpgpkey", MailStack.Domain), Path.Combine(output, "direct", MailStack.Domain, ".well-known", "openpgpkey") })
        {
            Assert.True(File.Exists(Path.Combine(root, "policy")), $"no policy file in {root}");
            var file = Path.Combine(root, "hu", hash);
            Assert.True(File.Exists(file), $"no {file}");
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.True((bytes[0] & 0x80) != 0, "the WKD file must be the binary key, not armor");
            var shown = await ProcessRunner.RunCheckedAsync("gpg", ["--batch", "--with-colons", "--show-keys", file]);
            var uids = shown.StandardOutput.Split('\n').Where(l => l.StartsWith("uid:", StringComparison.Ordinal)).ToList();
            Assert.Single(uids);
            Assert.Contains($"<{email}>", uids[0], StringComparison.Ordinal);
            Assert.DoesNotContain("private-", shown.StandardOutput, StringComparison.Ordinal);
            Assert.Contains(key.Fingerprint, shown.StandardOutput, StringComparison.Ordinal);
        }
    }
}
