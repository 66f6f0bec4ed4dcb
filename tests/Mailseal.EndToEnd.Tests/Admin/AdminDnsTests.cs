using System.Security.Cryptography;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Admin;

/// <summary>
/// mailseal-admin dns records printed into the harness's real unbound, then dns check through it:
/// the zone as printed checks right; each fault an admin makes is named, one line each, exit 1.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class AdminDnsTests
{
    private readonly MailStack _stack;

    public AdminDnsTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task Printed_records_check_right_in_unbound_and_each_fault_is_named()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        var id = Guid.NewGuid().ToString("N")[..8];
        var domain = $"dns-{id}.test";
        var email = "alice@" + domain;
        var folder = Path.Combine(_stack.TempDirectory, "admin-dns-keys-" + id);
        var otherFolder = Path.Combine(_stack.TempDirectory, "admin-dns-keys-other-" + id);
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(otherFolder);
        var key = await _stack.GenerateKeyAsync(email);
        var otherKey = await _stack.GenerateKeyAsync(email);
        await admin.RunCheckedAsync(["key", "import", email, await WriteAsync(id + "-a.asc", key.PublicKeyArmored), "--store", "folder", "--key-dir", folder]);
        await admin.RunCheckedAsync(["key", "import", email, await WriteAsync(id + "-b.asc", otherKey.PublicKeyArmored), "--store", "folder", "--key-dir", otherFolder]);
        using var rsa = RSA.Create(2048);
        using var otherRsa = RSA.Create(2048);
        var dkim = await WriteAsync(id + "-dkim.pem", rsa.ExportRSAPrivateKeyPem());
        var otherDkim = await WriteAsync(id + "-dkim-other.pem", otherRsa.ExportSubjectPublicKeyInfoPem());

        string[] common = ["--domain", domain, "--ip", "127.0.0.1", "--dkim-selector", "s1", "--store", "folder"];
        var right = Records((await admin.RunCheckedAsync(["dns", "records", .. common, "--dkim-key", dkim, "--key-dir", folder])).StandardOutput);
        var other = Records((await admin.RunCheckedAsync(["dns", "records", .. common, "--dkim-key", otherDkim, "--key-dir", otherFolder])).StandardOutput);
        Assert.Contains(right, r => r.Contains(" OPENPGPKEY ", StringComparison.Ordinal));
        Assert.Contains(right, r => r.Contains("._domainkey.", StringComparison.Ordinal) && r.Contains("\" \"", StringComparison.Ordinal));

        string[] check = ["dns", "check", .. common, "--dkim-key", dkim, "--key-dir", folder, "--host", "mail." + domain, "--dns-server", $"127.0.0.1:{_stack.DnsPort}"];
        try
        {
            await _stack.SetDnsZoneAsync(domain, right);
            var ok = await admin.RunAsync(check);
            Assert.True(ok.ExitCode == 0, ok.Output);
            Assert.DoesNotContain("MISSING", ok.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain("WRONG", ok.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("OPENPGPKEY " + email, ok.StandardOutput, StringComparison.Ordinal);

            static bool Is(string r, string type) => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3] == type;
            static bool Txt(string r, string start) => Is(r, "TXT") && r.Contains("\"" + start, StringComparison.Ordinal);
            string spf = right.Single(r => Txt(r, "v=spf1"));
            var faults = new (string What, IEnumerable<string> Zone, string Check, string Line)[]
            {
                ("no MX", right.Where(r => !Is(r, "MX")), "MX", "MISSING"),
                ("MX elsewhere", right.Select(r => Is(r, "MX") ? $"{domain}. 300 IN MX 10 openpgpkey.{domain}." : r), "MX", $"not mail.{domain}"),
                ("no SPF", right.Where(r => r != spf), "SPF", "no TXT record starting with v=spf1"),
                ("SPF -all", right.Select(r => r == spf ? $"{domain}. 300 IN TXT \"v=spf1 -all\"" : r), "SPF", "127.0.0.1 (mail." + domain + ") gets fail"),
                ("two SPF", right.Append($"{domain}. 300 IN TXT \"v=spf1 a -all\""), "SPF", "2 SPF records"),
                ("no DKIM", right.Where(r => !Txt(r, "v=DKIM1")), "DKIM", "no DKIM key record"),
                ("another DKIM key", right.Where(r => !Txt(r, "v=DKIM1")).Concat(other.Where(r => Txt(r, "v=DKIM1"))), "DKIM", "another key than the one given"),
                ("DMARC without p", right.Select(r => Txt(r, "v=DMARC1") ? $"_dmarc.{domain}. 300 IN TXT \"v=DMARC1; rua=mailto:postmaster@{domain}\"" : r), "DMARC", "no p= tag"),
                ("tutorial DMARC on the domain", right.Where(r => !Txt(r, "v=DMARC1")).Append($"{domain}. 300 IN TXT \"v=DMARC1; p=none\""), "DMARC", "no DMARC record"),
                ("no WKD host", right.Where(r => !r.StartsWith("openpgpkey.", StringComparison.Ordinal)), "WKD", "does not resolve"),
                ("no OPENPGPKEY", right.Where(r => !Is(r, "OPENPGPKEY")), "OPENPGPKEY " + email, "no OPENPGPKEY record"),
                ("another OPENPGPKEY", right.Where(r => !Is(r, "OPENPGPKEY")).Concat(other.Where(r => Is(r, "OPENPGPKEY"))), "OPENPGPKEY " + email, $"publishes key {otherKey.Fingerprint}"),
            };
            foreach (var (what, zone, name, line) in faults)
            {
                await _stack.SetDnsZoneAsync(domain, zone);
                var r = await admin.RunAsync(check);
                Assert.True(r.ExitCode == 1, $"{what}: exit {r.ExitCode}\n{r.Output}");
                var bad = r.StandardOutput.Split('\n').Where(l => l.Contains("MISSING", StringComparison.Ordinal) || l.Contains("WRONG", StringComparison.Ordinal)).ToList();
                var found = Assert.Single(bad);
                Assert.True(found.StartsWith(name + " ", StringComparison.Ordinal) && found.Contains(line, StringComparison.Ordinal), $"{what}: expected a {name} line with '{line}', got\n{r.StandardOutput}");
            }

            // A resolver that does not answer: unknown (exit 75), never "missing".
            var silent = await admin.RunAsync(["dns", "check", "--domain", domain, "--store", "folder", "--key-dir", folder, "--dns-server", $"127.0.0.1:{FreePorts.Take(1)[0]}"]);
            Assert.True(silent.ExitCode == 75, silent.Output);
            Assert.DoesNotContain("MISSING", silent.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("UNKNOWN", silent.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            await _stack.RemoveDnsZoneAsync(domain);
        }
    }

    [Fact]
    public async Task Hostile_domains_selectors_and_addresses_are_refused_before_any_lookup()
    {
        var admin = await AdminTool.CreateAsync(_stack);
        string[][] cases =
        [
            ["dns", "records", "--domain", "example.test;rm -rf /", "--ip", "127.0.0.1"],
            ["dns", "records", "--domain", "../etc", "--ip", "127.0.0.1"],
            ["dns", "records", "--domain", "example.test", "--ip", "127.0.0.1\"; x"],
            ["dns", "records", "--domain", "example.test", "--ip", "127.0.0.1", "--dkim-selector", "a\"b"],
            ["dns", "records", "--domain", new string('a', 10240) + ".test", "--ip", "127.0.0.1"],
            ["dns", "check", "--domain", "example.test", "--dns-server", "127.0.0.1:abc"],
        ];
        foreach (var args in cases)
        {
            var r = await admin.RunAsync(args);
            Assert.True(r.ExitCode == 65, $"{string.Join(' ', args)[..Math.Min(80, string.Join(' ', args).Length)]}: exit {r.ExitCode} {r.Output}");
            Assert.Single(r.StandardError.Trim().Split('\n'));
        }
    }

    private static List<string> Records(string zone) =>
        zone.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(';')).Select(l => l.Replace('\t', ' ')).ToList();

    private async Task<string> WriteAsync(string name, string content)
    {
        var path = Path.Combine(_stack.TempDirectory, "admin-dns-" + name);
        await File.WriteAllTextAsync(path, content);
        return path;
    }
}
