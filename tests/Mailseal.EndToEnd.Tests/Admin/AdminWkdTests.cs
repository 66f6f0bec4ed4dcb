using System.Net;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>
/// mailseal-admin wkd export, checked with GnuPG's own WKD tools: the file names against
/// gpg-wks-client, and the whole tree served over HTTPS on loopback, where
/// <c>gpg --locate-keys</c> (dirmngr) must find each account's key by the advanced and by the
/// direct method.
/// </summary>
/// <remarks>
/// How dirmngr is pointed at the test (GnuPG 2.2's dirmngr has no per-home option for either):
/// WKD fetches trust only the system CAs (ks-engine-http.c: HTTP_FLAG_TRUST_SYS; hkp-cacert is
/// for keyservers), which GnuTLS reads from /etc/ssl/certs/ca-certificates.crt, and its resolver
/// reads /etc/resolv.conf, whose libdns parser takes <c>nameserver [IP]:PORT</c>. gpg therefore
/// runs in a private mount namespace (<c>unshare -m</c>) where a folder holding only the test CA
/// is bind-mounted over /etc/ssl/certs and a resolv.conf naming the harness's unbound over
/// /etc/resolv.conf; the dirmngr it starts inherits that view. Nothing of the machine's is
/// changed. The server listens on 127.14.0.1:443 (https URLs carry no port; root runs the tests).
/// </remarks>
[Collection(MailStackCollection.Name)]
public sealed class AdminWkdTests
{
    private const string ServerAddress = "127.14.0.1";

    // $0 = resolv.conf, $1 = the CA folder, then the command.
    private const string MountScript = "mount --bind \"$0\" /etc/resolv.conf && mount --bind \"$1\" /etc/ssl/certs && shift && exec \"$@\"";

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

    [Fact]
    public async Task Gpg_locates_each_account_key_over_https_by_the_advanced_and_the_direct_method()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var domain = $"wkd{id}.test";
        var work = Path.Combine(_stack.TempDirectory, "admin-wkd-https-" + id);
        Directory.CreateDirectory(work);
        await using var scratch = await AdminTool.Scratch.CreateAsync(_stack);
        var admin = await AdminTool.CreateAsync(_stack, scratch.ConnectionString);
        await admin.RunCheckedAsync(["db", "init"]);

        // Two accounts of one domain; bob's key also names an address elsewhere and another
        // address of the same domain that is no account: neither may be served.
        var alice = await _stack.GenerateKeyAsync("alice@" + domain);
        var bob = await _stack.GenerateKeyAsync("bob@" + domain);
        string[] g = ["--homedir", bob.GnupgHome, "--batch", "--quiet", "--no-tty", "--passphrase", string.Empty, "--pinentry-mode", "loopback"];
        await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--quick-add-uid", bob.Fingerprint, $"Bob at home <bob@home-{id}.example>"]);
        await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--quick-add-uid", bob.Fingerprint, $"Bob Sales <sales@{domain}>"]);
        var bobArmored = (await ProcessRunner.RunCheckedAsync("gpg", [.. g, "--armor", "--export", bob.Fingerprint])).StandardOutput;
        await ProcessRunner.RunAsync("gpgconf", ["--homedir", bob.GnupgHome, "--kill", "all"]);
        var accounts = new[] { (Email: alice.Email, alice.Fingerprint, Armored: alice.PublicKeyArmored), (Email: bob.Email, bob.Fingerprint, Armored: bobArmored) };
        foreach (var a in accounts)
        {
            var keyFile = Path.Combine(work, a.Email + ".asc");
            await File.WriteAllTextAsync(keyFile, a.Armored);
            await admin.RunCheckedAsync(["user", "add", a.Email, "--key", keyFile, "--password-scheme", "SHA512-CRYPT", "--sha512-rounds", "5000"], "wkd-password\n");
        }

        var tree = Path.Combine(work, "wkd");
        var exported = await admin.RunCheckedAsync(["wkd", "export", tree]);
        Assert.Contains("2 key(s) written", exported.StandardOutput, StringComparison.Ordinal);
        var advancedRoot = Path.Combine(tree, "advanced");
        var directRoot = Path.Combine(tree, "direct", domain);
        foreach (var root in new[] { Path.Combine(advancedRoot, ".well-known", "openpgpkey", domain), Path.Combine(directRoot, ".well-known", "openpgpkey") })
            Assert.True(File.Exists(Path.Combine(root, "policy")), $"no policy file in {root}");

        using var ca = TestCertificateAuthority.Create("Mailseal WKD test CA " + id);
        using var certificate = ca.IssueServerCertificate(domain, "openpgpkey." + domain);
        var certs = Path.Combine(work, "certs");
        Directory.CreateDirectory(certs);
        await File.WriteAllTextAsync(Path.Combine(certs, "ca-certificates.crt"), ca.CertificatePem);
        var resolvConf = Path.Combine(work, "resolv.conf");
        await File.WriteAllTextAsync(resolvConf, $"nameserver [127.0.0.1]:{_stack.DnsPort}\n");
        var roots = new Dictionary<string, string>(StringComparer.Ordinal) { ["openpgpkey." + domain] = advancedRoot, [domain] = directRoot };
        await using var server = WkdHttpsServer.Start(new IPEndPoint(IPAddress.Parse(ServerAddress), 443), certificate, roots);

        try
        {
            foreach (var advanced in new[] { true, false })
            {
                // The advanced method is used when openpgpkey.DOMAIN resolves; without it, the direct one.
                var host = advanced ? "openpgpkey." + domain : domain;
                string[] zone = advanced
                    ? [$"{domain}. 300 IN A {ServerAddress}", $"openpgpkey.{domain}. 300 IN A {ServerAddress}"]
                    : [$"{domain}. 300 IN A {ServerAddress}"];
                await _stack.SetDnsZoneAsync(domain, zone);
                // A fresh home (so a fresh dirmngr, no cached answers) with a short path: its sockets live there.
                var home = Directory.CreateTempSubdirectory("mswkd-").FullName;
                try
                {
                    foreach (var a in accounts)
                    {
                        var hash = (await ProcessRunner.RunCheckedAsync("/usr/lib/gnupg/gpg-wks-client", ["--print-wkd-hash", a.Email])).StandardOutput.Trim().Split(' ')[0];
                        var path = advanced ? $"/.well-known/openpgpkey/{domain}/hu/{hash}" : $"/.well-known/openpgpkey/hu/{hash}";
                        var located = await InNamespaceAsync(resolvConf, certs, ["gpg", "--homedir", home, "--batch", "--no-tty", "--trust-model", "always", "--auto-key-locate", "clear,wkd", "--with-colons", "--locate-keys", a.Email]);
                        Assert.True(located.ExitCode == 0, $"gpg --locate-keys {a.Email} ({(advanced ? "advanced" : "direct")}) exited {located.ExitCode}: {located.Output}\nserver saw: {Describe(server.Requests)}");

                        // gpg asked the host and path of the method, and was given the file gpg-wks-client names
                        var served = server.Requests.LastOrDefault(r => r.Status == 200 && r.Host == host && r.Path == path);
                        Assert.True(served is not null, $"no 200 for https://{host}{path}; server saw: {Describe(server.Requests)}");
                        Assert.EndsWith("?l=" + a.Email.Split('@')[0], served.Target, StringComparison.Ordinal);

                        // what was served holds the account's address only (gpg's own import keeps only the
                        // user id of the looked-up address, so the served bytes are checked as well)
                        var servedFile = Path.Combine(work, $"served-{(advanced ? "a" : "d")}-{hash}");
                        await File.WriteAllBytesAsync(servedFile, served.Body);
                        Assert.Equal(new[] { $"<{a.Email}>" }, await UserIdsAsync(["--show-keys", servedFile]));

                        // and the key gpg imported is the account's, with only that user id
                        var listed = await ProcessRunner.RunCheckedAsync("gpg", ["--homedir", home, "--batch", "--with-colons", "--list-keys", a.Email]);
                        Assert.Contains($"fpr:::::::::{a.Fingerprint}:", listed.StandardOutput, StringComparison.Ordinal);
                        Assert.Equal(new[] { $"<{a.Email}>" }, await UserIdsAsync(["--homedir", home, "--list-keys", a.Fingerprint]));
                    }

                    // dirmngr finds the policy file where the method puts it
                    var policy = await InNamespaceAsync(resolvConf, certs, ["gpg-connect-agent", "--homedir", home, "--dirmngr", $"WKD_GET --policy-flags alice@{domain}", "/bye"]);
                    Assert.True(policy.ExitCode == 0 && !policy.StandardOutput.Contains("ERR", StringComparison.Ordinal), $"WKD_GET --policy-flags: {policy.Output}");
                    var policyPath = advanced ? $"/.well-known/openpgpkey/{domain}/policy" : "/.well-known/openpgpkey/policy";
                    Assert.Contains(server.Requests, r => r.Status == 200 && r.Host == host && r.Path == policyPath);
                }
                finally
                {
                    await ProcessRunner.RunAsync("gpgconf", ["--homedir", home, "--kill", "all"]);
                    Directory.Delete(home, recursive: true);
                }
            }

            // nothing else was asked for: no other host, no failed handshake
            Assert.All(server.Requests, r => Assert.True(r.Status == 200, $"unexpected request: {Describe([r])}"));

            // The trust is real: with the machine's CAs instead of the test CA, dirmngr refuses the
            // server's certificate, and gpg finds nothing.
            var untrusted = Path.Combine(work, "untrusted-certs");
            Directory.CreateDirectory(untrusted);
            const string SystemBundle = "/etc/ssl/certs/ca-certificates.crt";
            await File.WriteAllTextAsync(Path.Combine(untrusted, "ca-certificates.crt"), File.Exists(SystemBundle) ? await File.ReadAllTextAsync(SystemBundle) : string.Empty);
            var okBefore = server.Requests.Count(r => r.Status == 200);
            var refusedHome = Directory.CreateTempSubdirectory("mswkd-").FullName;
            try
            {
                var refused = await InNamespaceAsync(resolvConf, untrusted, ["gpg", "--homedir", refusedHome, "--batch", "--no-tty", "--trust-model", "always", "--auto-key-locate", "clear,wkd", "--locate-keys", alice.Email]);
                Assert.True(refused.ExitCode != 0, $"gpg trusted a certificate of a CA it was not given: {refused.Output}");
                Assert.Equal(okBefore, server.Requests.Count(r => r.Status == 200));
                var listed = await ProcessRunner.RunAsync("gpg", ["--homedir", refusedHome, "--batch", "--with-colons", "--list-keys"]);
                Assert.DoesNotContain(alice.Fingerprint, listed.StandardOutput, StringComparison.Ordinal);
            }
            finally
            {
                await ProcessRunner.RunAsync("gpgconf", ["--homedir", refusedHome, "--kill", "all"]);
                Directory.Delete(refusedHome, recursive: true);
            }
        }
        finally
        {
            await _stack.RemoveDnsZoneAsync(domain);
        }
    }

    private static Task<ProcessResult> InNamespaceAsync(string resolvConf, string certs, string[] command) =>
        ProcessRunner.RunAsync("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", MountScript, resolvConf, certs, .. command], timeout: TimeSpan.FromSeconds(120));

    private static async Task<List<string>> UserIdsAsync(string[] gpgArguments)
    {
        var r = await ProcessRunner.RunCheckedAsync("gpg", ["--batch", "--with-colons", .. gpgArguments]);
        return [.. r.StandardOutput.Split('\n').Where(l => l.StartsWith("uid:", StringComparison.Ordinal)).Select(l => l.Split(':')[9])];
    }

    private static string Describe(IEnumerable<WkdRequest> requests) =>
        string.Join("; ", requests.Select(r => $"{r.Status} {r.Host} {r.Target}"));
}
