using System.Net;
using Mailseal.Dns;
using Mailseal.Policy;
using Serilog;

namespace Mailseal.Spfd.Tests;

/// <summary>The DNS world the handler tests run in, and helpers to ask the handler.</summary>
internal static class TestZone
{
    public const string Client = "192.0.2.10";

    public static InMemoryZone Create()
    {
        var zone = new InMemoryZone();
        zone.Add("pass.example", DnsRecordType.Txt, "v=spf1 ip4:192.0.2.0/24 -all");
        zone.Add("fail.example", DnsRecordType.Txt, "v=spf1 -all");
        zone.Add("soft.example", DnsRecordType.Txt, "v=spf1 ~all");
        zone.Add("neutral.example", DnsRecordType.Txt, "v=spf1 ?all");
        zone.Add("perm.example", DnsRecordType.Txt, "v=spf1 foo:bar -all");
        zone.AddTimeout("temp.example");
        zone.AddName("none.example");
        zone.Add("exp.example", DnsRecordType.Txt, "v=spf1 -all exp=why.exp.example");
        zone.Add("why.exp.example", DnsRecordType.Txt, "%{i} is not one of our servers");
        zone.Add("void.example", DnsRecordType.Txt, "v=spf1 a:n1.void.example a:n2.void.example a:n3.void.example -all");
        zone.Add("mx.pass.example", DnsRecordType.Txt, "v=spf1 ip4:192.0.2.0/24 -all");
        zone.Add("mx.pass.example", DnsRecordType.A, Client);
        zone.Add("mx.fail.example", DnsRecordType.Txt, "v=spf1 -all");
        zone.Add("mx.fail.example", DnsRecordType.A, Client);
        zone.Add("mx.none.example", DnsRecordType.A, Client);
        zone.Add("relay.example", DnsRecordType.A, Client);
        zone.Add("relay.example", DnsRecordType.Txt, "v=spf1 -all");
        zone.Add("forwarder.example", DnsRecordType.Txt, "v=spf1 ip4:192.0.2.0/24 -all");
        zone.Add("10.2.0.192.in-addr.arpa", DnsRecordType.Ptr, "out1.ptrforwarder.example");
        zone.Add("out1.ptrforwarder.example", DnsRecordType.A, Client);
        return zone;
    }

    public static SpfPolicyHandler Handler(SpfdSettings? settings = null, IDnsResolver? zone = null) =>
        new(settings ?? new SpfdSettings { AuthservId = "mx.test.example" }, zone ?? Create(), new LoggerConfiguration().CreateLogger());

    public static PolicyRequest Request(string sender, string helo = "mx.none.example", string client = Client, string instance = "", string recipient = "bob@example.org")
    {
        var attributes = new Dictionary<string, string>
        {
            ["request"] = "smtpd_access_policy",
            ["protocol_state"] = "RCPT",
            ["client_address"] = client,
            ["helo_name"] = helo,
            ["sender"] = sender,
            ["recipient"] = recipient,
            ["instance"] = instance.Length > 0 ? instance : Guid.NewGuid().ToString("N"),
        };
        return new PolicyRequest(attributes);
    }

    public static async Task<string> AskAsync(this SpfPolicyHandler handler, PolicyRequest request) =>
        (await handler.HandleAsync(request, CancellationToken.None)).Action;

    public static IPAddress ClientIp => IPAddress.Parse(Client);
}
