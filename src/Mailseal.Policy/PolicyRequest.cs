using System.Collections.ObjectModel;

namespace Mailseal.Policy;

/// <summary>
/// One Postfix policy-delegation request (SMTPD_POLICY_README): the attributes as sent, with
/// typed accessors for the ones policy servers use. Attribute names are case-sensitive, as in
/// Postfix; unknown attributes are kept but nobody has to look at them. A missing attribute
/// reads as the empty string, which is also what Postfix sends for "not known" values.
/// </summary>
public sealed class PolicyRequest
{
    /// <summary>Creates a request from already parsed attributes.</summary>
    public PolicyRequest(IReadOnlyDictionary<string, string> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        Attributes = attributes as ReadOnlyDictionary<string, string>
            ?? new ReadOnlyDictionary<string, string>(new Dictionary<string, string>(attributes, StringComparer.Ordinal));
    }

    /// <summary>Creates a request that takes over a dictionary nobody else holds (the reader's: no copy per request).</summary>
    internal PolicyRequest(Dictionary<string, string> owned)
    {
        Attributes = new ReadOnlyDictionary<string, string>(owned);
    }

    /// <summary>Every attribute received, in no particular order.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; }

    /// <summary>The value of an attribute, or the empty string when absent.</summary>
    public string this[string name] => Attributes.TryGetValue(name, out var value) ? value : string.Empty;

    /// <summary><c>request</c>: <c>smtpd_access_policy</c> for every request Postfix sends today.</summary>
    public string RequestType => this["request"];

    /// <summary><c>protocol_state</c>: CONNECT, EHLO, HELO, MAIL, RCPT, DATA, END-OF-MESSAGE, VRFY, ETRN.</summary>
    public string ProtocolState => this["protocol_state"];

    /// <summary><c>client_address</c>: the SMTP client's IP address as text.</summary>
    public string ClientAddress => this["client_address"];

    /// <summary><c>client_name</c>: the verified client host name, or <c>unknown</c>.</summary>
    public string ClientName => this["client_name"];

    /// <summary><c>helo_name</c>: the HELO/EHLO argument, possibly empty.</summary>
    public string HeloName => this["helo_name"];

    /// <summary><c>sender</c>: the MAIL FROM address; empty for the null sender.</summary>
    public string Sender => this["sender"];

    /// <summary><c>recipient</c>: the current RCPT TO address.</summary>
    public string Recipient => this["recipient"];

    /// <summary><c>instance</c>: the same for every request of one message on one SMTP session.</summary>
    public string Instance => this["instance"];

    /// <summary><c>queue_id</c>: the Postfix queue id, when one has been assigned.</summary>
    public string QueueId => this["queue_id"];
}
