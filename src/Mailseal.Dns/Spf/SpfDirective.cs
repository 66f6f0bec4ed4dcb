using System.Net;

namespace Mailseal.Dns.Spf;

/// <summary>One parsed directive: qualifier, mechanism and its arguments.</summary>
internal sealed record SpfDirective(
    string Text,
    SpfResultCode Qualifier,
    SpfMechanism Mechanism,
    string? DomainSpec,
    IPAddress? Network,
    int Cidr4,
    int Cidr6)
{
    /// <summary>True for the mechanisms that count against the DNS lookup limit.</summary>
    public bool NeedsDns => Mechanism is SpfMechanism.Include or SpfMechanism.A or SpfMechanism.Mx or SpfMechanism.Ptr or SpfMechanism.Exists;
}
