using System.Globalization;
using System.Net;
using Mailseal.Core.Net;
using Mailseal.Dns;

namespace Mailseal.Spfd;

/// <summary>
/// Everything mailseal-spfd decides with, in the vocabulary of policyd-spf.conf(5) so an
/// existing file means the same here. Built from text values (a configuration file or flags)
/// by <see cref="SpfdCommand"/> through the <c>Parse</c> helpers here, each giving one clear error per bad value.
/// </summary>
public sealed record SpfdSettings
{
    /// <summary>The reason text policyd-spf uses; <c>{rejectdefer}</c>, <c>{spf}</c> and <c>{url}</c> are filled in.</summary>
    public const string DefaultReasonMessage = "Message {rejectdefer} due to: {spf}. Please see {url}";

    /// <summary><c>debugLevel</c>: -1 silent, 0 errors, 1 results (default), 2 and more details.</summary>
    public int DebugLevel { get; init; } = 1;

    /// <summary>
    /// <c>TestOnly</c>, with policyd-spf's own (inverted) meaning: 1 (default) acts on results,
    /// 0 only adds headers and never rejects or defers.
    /// </summary>
    public bool ActOnResults { get; init; } = true;

    /// <summary><c>HELO_reject</c> (default Fail).</summary>
    public RejectPolicy HeloReject { get; init; } = RejectPolicy.Fail;

    /// <summary><c>Mail_From_reject</c> (default Fail).</summary>
    public RejectPolicy MailFromReject { get; init; } = RejectPolicy.Fail;

    /// <summary><c>PermError_reject</c>: reject on permerror (default false).</summary>
    public bool PermErrorReject { get; init; }

    /// <summary><c>TempError_Defer</c>: defer on temperror (default false).</summary>
    public bool TempErrorDefer { get; init; }

    /// <summary><c>skip_addresses</c>: clients never checked (default loopback).</summary>
    public IReadOnlyList<string> SkipAddresses { get; init; } = ["127.0.0.0/8", "::ffff:127.0.0.0/104", "::1"];

    /// <summary><c>Whitelist</c>: client ranges never checked (trusted relays).</summary>
    public IReadOnlyList<string> Whitelist { get; init; } = [];

    /// <summary><c>HELO_Whitelist</c>: HELO names never checked when the name's A/AAAA holds the client.</summary>
    public IReadOnlyList<string> HeloWhitelist { get; init; } = [];

    /// <summary><c>Domain_Whitelist</c>: clients that pass these domains' SPF records are not checked.</summary>
    public IReadOnlyList<string> DomainWhitelist { get; init; } = [];

    /// <summary><c>Domain_Whitelist_PTR</c>: clients whose validated PTR name is in (or under) these domains are not checked.</summary>
    public IReadOnlyList<string> DomainWhitelistPtr { get; init; } = [];

    /// <summary><c>Reject_Not_Pass_Domains</c>: for these domains (and subdomains) SPF_Not_Pass applies.</summary>
    public IReadOnlyList<string> RejectNotPassDomains { get; init; } = [];

    /// <summary><c>Header_Type</c> (default SPF).</summary>
    public HeaderType HeaderType { get; init; } = HeaderType.Spf;

    /// <summary><c>Authserv_Id</c> of Authentication-Results; <c>HOSTNAME</c> (default) means this host's name.</summary>
    public string AuthservId { get; init; } = "HOSTNAME";

    /// <summary><c>Hide_Receiver</c>: show <c>&lt;UNKNOWN&gt;</c> instead of the recipient's domain.</summary>
    public bool HideReceiver { get; init; }

    /// <summary><c>Lookup_Time</c>: most time one SPF check (HELO or MAIL FROM) may take, then temperror (default 20 s).</summary>
    public TimeSpan LookupTime { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary><c>Whitelist_Lookup_Time</c>: most time each whitelist lookup may take (default 10 s).</summary>
    public TimeSpan WhitelistLookupTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Void_Limit</c>: void lookups allowed in one check (default 2).</summary>
    public int VoidLimit { get; init; } = 2;

    /// <summary><c>Reason_Message</c>: the text of a reject or defer.</summary>
    public string ReasonMessage { get; init; } = DefaultReasonMessage;

    /// <summary><c>Prospective</c>: check this address instead of the client (outbound use); no header is added.</summary>
    public IPAddress? Prospective { get; init; }

    /// <summary><c>SPF_Enhanced_Status_Codes</c>: RFC 7372 codes 5.7.23/5.7.24/4.7.24 (default yes) instead of bare 550.</summary>
    public bool EnhancedStatusCodes { get; init; } = true;

    /// <summary>Messages whose decision is remembered per <c>instance</c> (default 10000).</summary>
    public int InstanceCacheSize { get; init; } = 10000;

    /// <summary>How long a message's decision is remembered (default 1 hour, Postfix's policy time limit).</summary>
    public TimeSpan InstanceCacheLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The name this host reports as authserv-id.</summary>
    public string EffectiveAuthservId =>
        string.Equals(AuthservId, "HOSTNAME", StringComparison.Ordinal) || AuthservId.Length == 0 ? System.Net.Dns.GetHostName() : AuthservId;

    /// <summary>Parses a policyd-spf style value of <c>HELO_reject</c>/<c>Mail_From_reject</c>.</summary>
    public static RejectPolicy ParseRejectPolicy(string value, string name) => value.Trim() switch
    {
        "Fail" => RejectPolicy.Fail,
        "SPF_Not_Pass" => RejectPolicy.SpfNotPass,
        "Softfail" => RejectPolicy.Softfail,
        "Null" => RejectPolicy.Null,
        "False" => RejectPolicy.False,
        "No_Check" => RejectPolicy.NoCheck,
        _ => throw new FormatException($"{name}: '{value}' is not one of Fail, SPF_Not_Pass, Softfail, Null, False, No_Check"),
    };

    /// <summary>Parses <c>Header_Type</c>.</summary>
    public static HeaderType ParseHeaderType(string value) => value.Trim() switch
    {
        "SPF" => HeaderType.Spf,
        "AR" => HeaderType.AuthenticationResults,
        "None" => HeaderType.None,
        _ => throw new FormatException($"header_type: '{value}' is not one of SPF, AR, None"),
    };

    /// <summary>True/False as policyd-spf spells it (also yes/no, 1/0, on/off).</summary>
    public static bool ParseBool(string value, string name) => value.Trim().ToUpperInvariant() switch
    {
        "TRUE" or "YES" or "1" or "ON" => true,
        "FALSE" or "NO" or "0" or "OFF" => false,
        _ => throw new FormatException($"{name}: '{value}' is not True or False"),
    };

    /// <summary>A whole number within bounds.</summary>
    public static int ParseInt(string value, string name, int min, int max)
    {
        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new FormatException($"{name}: '{value}' is not a whole number from {min} to {max}");
        return n;
    }

    /// <summary>A comma (or blank) separated list, empty entries dropped.</summary>
    public static IReadOnlyList<string> ParseList(string value) =>
        value.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Checks the settings together (the CIDR lists parse, AR has an authserv-id) and returns
    /// the parsed address ranges; throws <see cref="FormatException"/> with one line.
    /// </summary>
    internal (IReadOnlyList<AddressRange> Skip, IReadOnlyList<AddressRange> Whitelist) Validate()
    {
        var skip = SkipAddresses.Select(s => AddressRange.Parse(s, "skip_addresses")).ToList();
        var white = Whitelist.Select(s => AddressRange.Parse(s, "whitelist")).ToList();
        if (LookupTime <= TimeSpan.Zero || WhitelistLookupTime <= TimeSpan.Zero)
            throw new FormatException("lookup_time and whitelist_lookup_time must be positive");
        if (InstanceCacheSize < 1 || InstanceCacheLifetime <= TimeSpan.Zero)
            throw new FormatException("instance_cache_size and instance_cache_lifetime must be positive");
        if (HeaderType == HeaderType.AuthenticationResults && EffectiveAuthservId.Length == 0)
            throw new FormatException("authserv_id must be set when header_type is AR");
        return (skip, white);
    }
}
