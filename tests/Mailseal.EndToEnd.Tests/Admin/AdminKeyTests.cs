using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>mailseal-admin key import/rotate/show/expiring on both stores, with GnuPG-made keys.</summary>
[Collection(MailStackCollection.Name)]
public sealed class AdminKeyTests
{
    private readonly MailStack _stack;

    public AdminKeyTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task Keys_are_imported_rotated_and_shown_in_the_database()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var email = $"keys-{Guid.NewGuid():N}"[..16] + "@" + MailStack.Domain;
        var first = await _stack.GenerateKeyAsync(email);
        var second = await _stack.GenerateKeyAsync(email);
        var other = await _stack.GenerateKeyAsync("someone-else@" + MailStack.Domain);
        await admin.RunCheckedAsync(["user", "add", email, "--key", await WriteAsync(first.PublicKeyArmored)], "pw\n");

        var refused = await admin.RunAsync(["key", "rotate", email, await WriteAsync(other.PublicKeyArmored)]);
        Assert.Equal(65, refused.ExitCode);
        Assert.Contains($"no user id of the key names {email}", refused.StandardError, StringComparison.Ordinal);

        var rotated = await admin.RunCheckedAsync(["key", "rotate", email, await WriteAsync(second.PublicKeyArmored)]);
        Assert.Contains($"{first.Fingerprint} -> {second.Fingerprint}", rotated.StandardOutput, StringComparison.Ordinal);
        var shown = await admin.RunCheckedAsync(["key", "show", email, "--json"]);
        Assert.Contains($"\"fingerprint\": \"{second.Fingerprint}\"", shown.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"usable\": true", shown.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"encryption_algorithm\": \"Ecdh\"", shown.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(65, (await admin.RunAsync(["key", "import", "nobody-" + Guid.NewGuid().ToString("N")[..6] + "@" + MailStack.Domain, await WriteAsync(second.PublicKeyArmored), "--allow-other-address"])).ExitCode);
    }

    [Fact]
    public async Task The_key_folder_gets_one_0640_file_per_address_and_expired_or_sign_only_keys_are_refused()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var folder = Path.Combine(_stack.TempDirectory, "admin-keys-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var email = "Folder-" + Guid.NewGuid().ToString("N")[..8] + "@" + MailStack.Domain;
        var key = await _stack.GenerateKeyAsync(email.ToLowerInvariant());
        await admin.RunCheckedAsync(["key", "import", email, await WriteAsync(key.PublicKeyArmored), "--store", "folder", "--key-dir", folder]);
        var file = Path.Combine(folder, email.ToLowerInvariant() + ".asc");
        Assert.True(File.Exists(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(file));
        Assert.Single(Directory.GetFiles(folder));
        var gpg = await ProcessRunner.RunCheckedAsync("gpg", ["--batch", "--with-colons", "--show-keys", file]);
        Assert.Contains(key.Fingerprint, gpg.StandardOutput, StringComparison.Ordinal);

        var data = Path.Combine(MailStack.RepositoryRoot, "tests", "Mailseal.Core.Tests", "TestData", "keys");
        var expired = await admin.RunAsync(["key", "import", "bob@example.org", Path.Combine(data, "bob-expired.asc"), "--store", "folder", "--key-dir", folder]);
        Assert.Equal(65, expired.ExitCode);
        Assert.Contains("expired on", expired.StandardError, StringComparison.Ordinal);
        var signOnly = await admin.RunAsync(["key", "import", "signer@example.org", Path.Combine(data, "signer-signonly.asc"), "--store", "folder", "--key-dir", folder]);
        Assert.Contains("sign-only", signOnly.StandardError, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(folder));

        // an expired key put there by hand is what key expiring reports (exit 1 for cron)
        File.Copy(Path.Combine(data, "bob-expired.asc"), Path.Combine(folder, "bob@example.org.asc"));
        var expiring = await admin.RunAsync(["key", "expiring", "--days", "30", "--store", "folder", "--key-dir", folder]);
        Assert.Equal(1, expiring.ExitCode);
        Assert.Contains("bob@example.org", expiring.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(email.ToLowerInvariant(), expiring.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(65, (await admin.RunAsync(["key", "import", "../x@" + MailStack.Domain, await WriteAsync(key.PublicKeyArmored), "--store", "folder", "--key-dir", folder, "--allow-other-address"])).ExitCode);
    }

    [Fact]
    public async Task A_folder_of_keys_goes_into_the_database_past_refused_files_and_stops_when_the_database_goes()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        await using var scratch = await AdminTool.Scratch.CreateAsync(_stack);
        var admin = await AdminTool.CreateAsync(_stack, scratch.ConnectionString);
        await admin.RunCheckedAsync(["db", "init"]);
        string alice = $"alice-{id}@{MailStack.Domain}", bob = $"bob-{id}@{MailStack.Domain}", carol = $"carol-{id}@{MailStack.Domain}";
        var aliceOld = await _stack.GenerateKeyAsync(alice);
        var aliceNew = await _stack.GenerateKeyAsync(alice);
        var bobKey = await _stack.GenerateKeyAsync(bob);
        var carolKey = await _stack.GenerateKeyAsync(carol);
        await admin.RunCheckedAsync(["user", "add", alice, "--key", await WriteAsync(aliceOld.PublicKeyArmored), "--password-scheme", "SHA512-CRYPT", "--sha512-rounds", "5000"], "pw\n");
        await admin.RunCheckedAsync(["user", "add", bob, "--key", await WriteAsync(bobKey.PublicKeyArmored), "--password-scheme", "SHA512-CRYPT", "--sha512-rounds", "5000"], "pw\n");

        var folder = Path.Combine(_stack.TempDirectory, "admin-bulk-" + id);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, alice + ".asc"), aliceNew.PublicKeyArmored);   // a rotation
        await File.WriteAllTextAsync(Path.Combine(folder, bob + ".asc"), bobKey.PublicKeyArmored);       // what is stored already
        await File.WriteAllTextAsync(Path.Combine(folder, carol + ".asc"), carolKey.PublicKeyArmored);   // no such account
        await File.WriteAllTextAsync(Path.Combine(folder, $"x'); DROP TABLE users; --@{MailStack.Domain}.asc"), bobKey.PublicKeyArmored);

        var r = await admin.RunAsync(["key", "import", folder, "--store", "database"]);
        Assert.True(r.ExitCode == 65, r.Output);
        Assert.Contains($"imported  {alice} {aliceNew.Fingerprint}", r.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"unchanged {bob} {bobKey.Fingerprint}", r.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"refused   {carol}.asc: there is no account {carol}", r.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("DROP TABLE users; --@", r.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("key import: 1 imported, 1 unchanged, 2 refused, of 4 files\n", r.StandardOutput, StringComparison.Ordinal);
        await using (var db = await scratch.OpenAsync())
        {
            await using var cmd = new Npgsql.NpgsqlCommand("SELECT key_fingerprint FROM users WHERE email = $1", db) { Parameters = { new Npgsql.NpgsqlParameter { Value = alice } } };
            Assert.Equal(aliceNew.Fingerprint, await cmd.ExecuteScalarAsync());
            await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM users", db);
            Assert.Equal(2L, await count.ExecuteScalarAsync());
        }

        // The database unreachable: the first key stops the run with PostgreSQL's words, exit 75, and the summary says so.
        var down = await admin.RunAsync(["key", "import", folder, "--store", "database"], database: "Host=127.0.0.1;Port=1;Timeout=2;Username=x;Database=x");
        Assert.Equal(75, down.ExitCode);
        Assert.Contains("database:", down.StandardError, StringComparison.Ordinal);
        Assert.Contains("stopped after", down.StandardOutput, StringComparison.Ordinal);
    }

    private async Task<string> WriteAsync(string armored)
    {
        var path = Path.Combine(_stack.TempDirectory, "admin-key-" + Guid.NewGuid().ToString("N")[..8] + ".asc");
        await File.WriteAllTextAsync(path, armored);
        return path;
    }
}
