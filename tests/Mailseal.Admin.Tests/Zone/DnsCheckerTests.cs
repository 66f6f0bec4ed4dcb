using System.Net;
using Mailseal.Admin.Keys;
using Mailseal.Admin.Wkd;
using Mailseal.Admin.Zone;
using Mailseal.Core.OpenPgp;
using Mailseal.Dns;

namespace Mailseal.Admin.Tests.Zone;

/// <summary>dns records' output read back into a zone, then checked: right as printed, and each fault named.</summary>
public class DnsCheckerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static ZoneSettings Settings()
    {
        byte[] data = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "keys", "alice.asc"));
        Certificate alice = KeyCheck.Accept(data, "alice@example.org", Now, allowOtherAddress: false);
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        return new ZoneSettings
        {
            Domain = "example.org",
            Host = "mail.example.org",
            Addresses = [IPAddress.Parse("192.0.2.25"), IPAddress.Parse("2001:db8::25")],
            DkimSelector = "s1",
            DkimKey = DkimKey.Parse(rsa.ExportSubjectPublicKeyInfoPem()),
            DmarcReport = "postmaster@example.org",
            Keys = [("alice@example.org", alice.FingerprintHex, CertificateMinimizer.ForAddress(alice, "alice@example.org"))],
        };
    }

    private static InMemoryZone Load(IEnumerable<ZoneRecord> records, Func<ZoneRecord, bool>? skip = null)
    {
        var zone = new InMemoryZone();
        foreach (ZoneRecord r in records)
        {
            if (skip?.Invoke(r) == true)
                continue;
            string name = r.Name.TrimEnd('.');
            switch (r.Type)
            {
                case "TXT":
                    zone.AddText(name, r.Data.Trim('"').Split("\" \""));
                    break;
                case "OPENPGPKEY":
                    zone.Add(DnsRecord.ForData(name, DnsRecordType.OpenPgpKey, Convert.FromBase64String(r.Data)));
                    break;
                default:
                    zone.Add(name, Enum.Parse<DnsRecordType>(r.Type, ignoreCase: true), r.Data.TrimEnd('.'));
                    break;
            }
        }

        return zone;
    }

    private static Task<IReadOnlyList<DnsFinding>> CheckAsync(InMemoryZone zone, ZoneSettings s) =>
        new DnsChecker(zone).CheckAsync(s, hostGiven: true, CancellationToken.None);

    [Fact]
    public async Task The_printed_records_check_as_right()
    {
        ZoneSettings s = Settings();

        IReadOnlyList<DnsFinding> findings = await CheckAsync(Load(ZoneBuilder.Build(s)), s);

        Assert.All(findings, f => Assert.True(f.Status == DnsFindingStatus.Ok, $"{f.Check} {f.Name}: {f.StatusText} {f.Detail}"));
        Assert.Equal(["MX", "A/AAAA", "SPF", "DKIM", "DMARC", "WKD", "OPENPGPKEY alice@example.org"], findings.Select(f => f.Check));
    }

    [Theory]
    [InlineData("MX", "MX", "no MX record")]
    [InlineData("SPF", "TXT:v=spf1", "no TXT record starting with v=spf1")]
    [InlineData("DKIM", "TXT:v=DKIM1", "no DKIM key record")]
    [InlineData("DMARC", "TXT:v=DMARC1", "no DMARC record")]
    [InlineData("WKD", "openpgpkey", "does not resolve")]
    [InlineData("OPENPGPKEY alice@example.org", "OPENPGPKEY", "no OPENPGPKEY record")]
    public async Task A_missing_record_is_named(string check, string drop, string detail)
    {
        ZoneSettings s = Settings();
        bool Skip(ZoneRecord r) => drop switch
        {
            "openpgpkey" => r.Name.StartsWith("openpgpkey.", StringComparison.Ordinal),
            _ when drop.StartsWith("TXT:", StringComparison.Ordinal) => r.Type == "TXT" && r.Data.StartsWith("\"" + drop[4..], StringComparison.Ordinal),
            _ => r.Type == drop,
        };

        IReadOnlyList<DnsFinding> findings = await CheckAsync(Load(ZoneBuilder.Build(s), Skip), s);

        DnsFinding f = Assert.Single(findings, f => f.Check == check);
        Assert.Equal(DnsFindingStatus.Missing, f.Status);
        Assert.Contains(detail, f.Detail, StringComparison.Ordinal);
        Assert.All(findings.Where(x => x.Check != check), x => Assert.Equal(DnsFindingStatus.Ok, x.Status));
    }

    [Fact]
    public async Task Wrong_records_are_named_with_the_reason()
    {
        ZoneSettings s = Settings();
        var zone = new InMemoryZone();
        zone.Add("example.org", DnsRecordType.Mx, "10 mx.elsewhere.example");
        zone.Add("mx.elsewhere.example", DnsRecordType.A, "198.51.100.7");
        zone.Add("mail.example.org", DnsRecordType.A, "192.0.2.99");
        zone.Add("example.org", DnsRecordType.Txt, "v=spf1 -all");
        zone.Add("s1._domainkey.example.org", DnsRecordType.Txt, "v=DKIM1; k=rsa; p=MIIBIjAN");
        zone.Add("_dmarc.example.org", DnsRecordType.Txt, "v=DMARC1; rua=mailto:x@example.org");
        zone.Add("openpgpkey.example.org", DnsRecordType.A, "192.0.2.25");
        zone.Add(DnsRecord.ForData(OpenPgpKeyName.For("alice@example.org"), DnsRecordType.OpenPgpKey, "not a key"u8));

        IReadOnlyList<DnsFinding> findings = await CheckAsync(zone, s);

        string Detail(string check) => Assert.Single(findings, f => f.Check == check && f.Status == DnsFindingStatus.Wrong).Detail;
        Assert.Contains("not mail.example.org", Detail("MX"), StringComparison.Ordinal);
        Assert.Contains("not 192.0.2.25", Detail("A/AAAA"), StringComparison.Ordinal);
        Assert.Contains("gets fail", Detail("SPF"), StringComparison.Ordinal);
        Assert.Contains("another key than the one given", Detail("DKIM"), StringComparison.Ordinal);
        Assert.Contains("no p= tag", Detail("DMARC"), StringComparison.Ordinal);
        Assert.Contains("not an OpenPGP key", Detail("OPENPGPKEY alice@example.org"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_spf_records_are_wrong_and_a_timeout_is_unknown_not_missing()
    {
        ZoneSettings s = Settings();
        InMemoryZone zone = Load(ZoneBuilder.Build(s), r => r.Name.StartsWith("_dmarc.", StringComparison.Ordinal));
        zone.Add("example.org", DnsRecordType.Txt, "v=spf1 a -all");
        zone.AddTimeout("_dmarc.example.org");

        IReadOnlyList<DnsFinding> findings = await CheckAsync(zone, s);

        Assert.Contains("2 SPF records", Assert.Single(findings, f => f.Check == "SPF").Detail, StringComparison.Ordinal);
        Assert.Equal(DnsFindingStatus.Unknown, Assert.Single(findings, f => f.Check == "DMARC").Status);
    }
}
