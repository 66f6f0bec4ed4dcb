using System.Net;
using System.Text;
using Mailseal.Dns.Spf;

namespace Mailseal.Dns.Tests.Spf;

/// <summary>Hostile records: random terms must give a record or permerror, never another exception.</summary>
public sealed class SpfRecordFuzzTests
{
    private static readonly string[] Pieces =
    [
        "a", "mx", "ptr", "ip4", "ip6", "all", "include", "exists", "redirect", "exp", ":", "/", "//", "=", "%", "%{", "}", "%{d}", "%{ir}",
        "%{l1r-}", "example.com", ".", "1.2.3.4", "::1", "24", "64", "+", "-", "~", "?", "\u00e9", "\t", "0", "999",
    ];

    [Fact]
    public void Random_records_parse_or_give_permerror()
    {
        var random = new Random(4408);
        int parsed = 0, rejected = 0;
        for (int i = 0; i < 20000; i++)
        {
            var record = new StringBuilder("v=spf1");
            int terms = random.Next(1, 6);
            for (int t = 0; t < terms; t++)
            {
                record.Append(' ');
                int parts = random.Next(1, 5);
                for (int p = 0; p < parts; p++)
                {
                    record.Append(Pieces[random.Next(Pieces.Length)]);
                }
            }

            try
            {
                SpfRecord.Parse(record.ToString());
                parsed++;
            }
            catch (SpfException ex)
            {
                Assert.Equal(SpfResultCode.PermError, ex.Code);
                rejected++;
            }
        }

        Assert.True(parsed > 100 && rejected > 100, $"parsed {parsed}, rejected {rejected}");
    }

    [Fact]
    public async Task Random_records_evaluate_to_a_result_never_an_exception()
    {
        var random = new Random(7208);
        IPAddress[] clients = [IPAddress.Parse("1.2.3.4"), IPAddress.Parse("2001:db8::1"), IPAddress.Parse("::ffff:1.2.3.4")];
        var seen = new HashSet<SpfResultCode>();
        for (int i = 0; i < 3000; i++)
        {
            var zone = new InMemoryZone();
            foreach (string name in new[] { "example.com", "example.com.example.com", "com" })
            {
                var record = new StringBuilder("v=spf1");
                for (int t = random.Next(1, 5); t > 0; t--)
                {
                    record.Append(' ');
                    for (int p = random.Next(1, 4); p > 0; p--)
                    {
                        record.Append(Pieces[random.Next(Pieces.Length)]);
                    }
                }

                zone.Add(name, DnsRecordType.Txt, record.ToString());
                zone.Add(name, DnsRecordType.A, "1.2.3.4");
                zone.Add(DnsRecord.ForMx(name, 1, "example.com"));
            }

            zone.Add("4.3.2.1.in-addr.arpa", DnsRecordType.Ptr, "example.com");
            var evaluator = new SpfEvaluator(zone, new SpfOptions { LookupTime = TimeSpan.FromSeconds(5) });
            SpfResult result = await evaluator.CheckMailFromAsync(clients[i % clients.Length], "user@example.com", "helo.example.com", CancellationToken.None);
            seen.Add(result.Code);
        }

        Assert.Contains(SpfResultCode.PermError, seen);
        Assert.Contains(SpfResultCode.Pass, seen);
    }
}
