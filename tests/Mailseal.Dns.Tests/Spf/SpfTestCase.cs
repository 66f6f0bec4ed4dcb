namespace Mailseal.Dns.Tests.Spf;

/// <summary>One case of the openspf YAML test suite.</summary>
internal sealed record SpfTestCase(string Scenario, string Name, string Helo, string Host, string MailFrom, IReadOnlyList<string> Results, string? Explanation, InMemoryZone Zone);
