using System.Net;

namespace Mailseal.Dns.Spf;

/// <summary>The values the macro letters of RFC 7208 section 7.2 stand for, in one check.</summary>
internal sealed class SpfMacroContext
{
    public required string Sender { get; init; }

    public required string LocalPart { get; init; }

    public required string SenderDomain { get; init; }

    public required string Domain { get; init; }

    public required IPAddress Client { get; init; }

    public required string Helo { get; init; }

    public required string ReceivingHost { get; init; }

    public required long Timestamp { get; init; }

    /// <summary>Finds the validated domain name of the client for %{p} (RFC 7208 section 7.3); called only when a %{p} is expanded.</summary>
    public required Func<string, CancellationToken, Task<string>> ValidatedName { get; init; }

    public SpfMacroContext WithDomain(string domain) => new()
    {
        Sender = Sender,
        LocalPart = LocalPart,
        SenderDomain = SenderDomain,
        Domain = domain,
        Client = Client,
        Helo = Helo,
        ReceivingHost = ReceivingHost,
        Timestamp = Timestamp,
        ValidatedName = ValidatedName,
    };
}
