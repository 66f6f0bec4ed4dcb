using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Core.Net;
using Mailseal.Dns;
using Mailseal.Dns.Spf;
using Mailseal.Policy;
using Serilog;

namespace Mailseal.Spfd;

/// <summary>
/// The SPF decision of mailseal-spfd for one policy request, with policyd-spf's documented
/// behaviour: skip lists and whitelists first, then the HELO identity, then MAIL FROM; a
/// reject or defer as soon as a configured policy asks for one, else one trace header per
/// message (the <c>instance</c> cache answers the message's later RCPT requests with DUNNO,
/// or with the same reject). The Received-SPF identity is always the identity whose result it
/// reports: a HELO pass never appears as a MAIL FROM pass (CVE-2019-20790).
/// </summary>
public sealed class SpfPolicyHandler : IPolicyHandler
{
    private readonly SpfdSettings _settings;
    private readonly IDnsResolver _resolver;
    private readonly SpfEvaluator _evaluator;
    private readonly ILogger _log;
    private readonly IReadOnlyList<AddressRange> _skip;
    private readonly IReadOnlyList<AddressRange> _whitelist;
    private readonly PolicyInstanceCache<PolicyResponse> _instances;
    private readonly string _authservId;

    /// <summary>Creates the handler.</summary>
    /// <param name="settings">The policy (validated here; a bad value throws <see cref="FormatException"/>).</param>
    /// <param name="resolver">DNS for SPF and the whitelist lookups.</param>
    /// <param name="log">Where results are logged (one line per decision at debug level 1).</param>
    public SpfPolicyHandler(SpfdSettings settings, IDnsResolver resolver, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(log);
        (_skip, _whitelist) = settings.Validate();
        _settings = settings;
        _resolver = resolver;
        _log = log;
        _authservId = settings.EffectiveAuthservId;
        _evaluator = new SpfEvaluator(resolver, new SpfOptions
        {
            LookupTime = settings.LookupTime,
            VoidLookupLimit = settings.VoidLimit,
            ReceivingHost = _authservId,
        });
        _instances = new PolicyInstanceCache<PolicyResponse>(settings.InstanceCacheSize, settings.InstanceCacheLifetime);
    }

    /// <inheritdoc />
    public async ValueTask<PolicyResponse> HandleAsync(PolicyRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!string.Equals(request.RequestType, "smtpd_access_policy", StringComparison.Ordinal))
        {
            if (Logs(2))
                Log(2, "{Queue}ignoring request type {Type}", Queue(request), SpfHeader.Comment(request.RequestType));
            return PolicyResponse.Dunno;
        }

        var ipText = _settings.Prospective?.ToString() ?? request.ClientAddress;
        if (!IPAddress.TryParse(ipText, out var ip) || ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            if (Logs(2))
                Log(2, "{Queue}no usable client address, not checking", Queue(request));
            return PolicyResponse.Dunno;
        }

        if (_instances.TryGet(request.Instance, out var later))
            return later;

        var decision = await DecideAsync(request, ip, cancellationToken).ConfigureAwait(false);
        var response = Deliver(decision, request);

        // What the message's later RCPT requests get: the refusal the first one got, else DUNNO
        // (one header per message, and no refusal where the first was not refused, TestOnly = 0).
        // The header itself, hundreds of bytes, is not held for the cache's lifetime.
        _instances.Set(request.Instance, decision.Kind is DecisionKind.Reject or DecisionKind.Defer ? response : PolicyResponse.Dunno);
        return response;
    }

    /// <summary>The queue id as the log lines' prefix ("ID: "), or nothing before Postfix has assigned one.</summary>
    private static string Queue(PolicyRequest request) =>
        request.QueueId.Length > 0 ? SpfHeader.Comment(request.QueueId) + ": " : string.Empty;

    private PolicyResponse Deliver(Decision decision, PolicyRequest request)
    {
        var (response, line) = decision.Kind switch
        {
            DecisionKind.Prepend when _settings.Prospective is not null => (PolicyResponse.Dunno, "{Queue}prospective check, no header: {Header}"),
            DecisionKind.Prepend when _settings.HeaderType == HeaderType.None => (PolicyResponse.Dunno, "{Queue}Header field not prepended: {Header}"),
            DecisionKind.Reject or DecisionKind.Defer when !_settings.ActOnResults => (PolicyResponse.Dunno, "{Queue}TestOnly = 0, not acting on: {Action}"),
            DecisionKind.Dunno => (PolicyResponse.Dunno, null),
            _ => (decision.Response, "{Queue}{Action}"),
        };

        // Every request passes here: a line's arguments are computed only when its level is on.
        if (line is not null && Logs(1))
            Log(1, line, Queue(request), decision.Response.Action);
        return response;
    }

    private async Task<Decision> DecideAsync(PolicyRequest request, IPAddress ip, CancellationToken cancellationToken)
    {
        var sender = request.Sender;
        var helo = request.HeloName;
        if (helo.Length == 0)
            helo = sender.Contains('@', StringComparison.Ordinal) ? SpfHeader.DomainOf(sender) : "unknown";
        var recipient = request.Recipient;
        var receiver = _settings.HideReceiver ? "<UNKNOWN>" : recipient.Contains('@', StringComparison.Ordinal) ? SpfHeader.DomainOf(recipient) : recipient;
        var headerSender = sender.Length == 0 ? "<>" : sender;
        var clientIp = ip.ToString();

        if (await SkipReasonAsync(ip, helo, cancellationToken).ConfigureAwait(false) is { } reason)
        {
            return Prepend(SpfHeader.Skipped(_settings.HeaderType, _authservId, reason, clientIp, helo, headerSender, receiver));
        }

        SpfResult? heloResult = null;
        var heloCode = SpfResultCode.None;
        if (_settings.HeloReject != RejectPolicy.NoCheck)
        {
            var result = await CheckAsync(ip, helo, "postmaster@" + helo, helo, cancellationToken).ConfigureAwait(false);
            heloCode = result.Code;
            if (Logs(2))
                Log(2, "HELO {Helo}: {Result}", SpfHeader.Comment(helo), result.ToString());
            var local = InRejectNotPass(helo);
            var action = Classify(result.Code, local ? RejectPolicy.SpfNotPass : _settings.HeloReject, sender.Length == 0);
            if (action is DecisionKind.Reject or DecisionKind.Defer)
                return Refuse(action, result, "helo", helo, clientIp, receiver, local);
            heloResult = result;
        }

        // The HELO header is written only when it is the one recorded (below).
        string HeloHeader() => Header(heloResult!, "helo", clientIp, helo, headerSender, receiver);

        if (sender.Length == 0 || _settings.MailFromReject == RejectPolicy.NoCheck)
            return heloResult is null ? new Decision(DecisionKind.Dunno, PolicyResponse.Dunno) : Prepend(HeloHeader());

        var domain = SpfHeader.DomainOf(sender);
        var mfrom = await CheckAsync(ip, domain, sender, helo, cancellationToken).ConfigureAwait(false);
        if (Logs(2))
            Log(2, "MAIL FROM {Sender}: {Result}", SpfHeader.Comment(sender), mfrom.ToString());
        var mfromPolicy = InRejectNotPass(domain) ? RejectPolicy.SpfNotPass : _settings.MailFromReject;
        var mfromAction = Classify(mfrom.Code, mfromPolicy, nullSender: false);
        if (mfromAction is DecisionKind.Reject or DecisionKind.Defer)
            return Refuse(mfromAction, mfrom, "mfrom", sender, clientIp, receiver, InRejectNotPass(domain));

        // With no MAIL FROM record, the HELO result (if any) is the informative one; it is
        // recorded as what it is, identity=helo, never relabelled as a MAIL FROM result. This is
        // policyd-spf's choice too (spf_engine keeps the HELO header when the MAIL FROM result is
        // None and the HELO's is not, a temperror included): checked side by side in the tests.
        var recorded = mfrom.Code != SpfResultCode.None || heloResult is null || heloCode == SpfResultCode.None
            ? Header(mfrom, "mailfrom", clientIp, helo, headerSender, receiver)
            : HeloHeader();
        return Prepend(recorded);
    }

    private async Task<string?> SkipReasonAsync(IPAddress ip, string helo, CancellationToken cancellationToken)
    {
        if (AnyContains(_skip, ip))
            return "SPF check N/A for local connections";
        if (AnyContains(_whitelist, ip))
            return "SPF skipped for whitelisted relay";
        foreach (var domain in _settings.DomainWhitelist)
        {
            var result = await CheckAsync(ip, domain, "postmaster@" + domain, helo, cancellationToken, _settings.WhitelistLookupTime).ConfigureAwait(false);
            if (result.Code == SpfResultCode.Pass)
                return "SPF skipped for whitelisted relay domain";
        }

        if (_settings.DomainWhitelistPtr.Count > 0 && await PtrWhitelistedAsync(ip, cancellationToken).ConfigureAwait(false))
            return "SPF skipped for PTR whitelisted relay domain";

        if (_settings.HeloWhitelist.Any(h => string.Equals(h.TrimEnd('.'), helo.TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
            && await NameHasAddressAsync(helo, ip, cancellationToken).ConfigureAwait(false))
            return "SPF skipped for whitelisted HELO domain";
        return null;
    }

    /// <summary>True when one of the ranges holds the client (a loop: every request passes here).</summary>
    private static bool AnyContains(IReadOnlyList<AddressRange> ranges, IPAddress ip)
    {
        for (var i = 0; i < ranges.Count; i++)
        {
            if (ranges[i].ContainsEitherForm(ip))
                return true;
        }

        return false;
    }

    private async Task<bool> PtrWhitelistedAsync(IPAddress ip, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.WhitelistLookupTime);
        try
        {
            var answer = await _resolver.QueryAsync(ReverseName(ip), DnsRecordType.Ptr, timeout.Token).ConfigureAwait(false);
            foreach (var name in answer.Records.Select(r => r.Target).OfType<string>().Take(10))
            {
                var host = name.TrimEnd('.');
                var listed = _settings.DomainWhitelistPtr.Any(d =>
                    string.Equals(host, d.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)
                    || host.EndsWith("." + d.TrimEnd('.'), StringComparison.OrdinalIgnoreCase));
                if (listed && await NameHasAddressAsync(host, ip, timeout.Token).ConfigureAwait(false))
                    return true;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _log.Warning("Domain_Whitelist_PTR lookup for {Ip} took longer than {Seconds} s; not whitelisted", ip.ToString(), _settings.WhitelistLookupTime.TotalSeconds);
        }

        return false;
    }

    private async Task<bool> NameHasAddressAsync(string name, IPAddress ip, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.WhitelistLookupTime);
        var client = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
        var type = client.AddressFamily == AddressFamily.InterNetwork ? DnsRecordType.A : DnsRecordType.Aaaa;
        try
        {
            var answer = await _resolver.QueryAsync(name, type, timeout.Token).ConfigureAwait(false);
            return answer.Records.Any(r => client.Equals(r.Address));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<SpfResult> CheckAsync(IPAddress ip, string domain, string sender, string helo, CancellationToken cancellationToken, TimeSpan? limit = null)
    {
        // The evaluator ends at LookupTime itself; this second bound only guards against a
        // resolver that ignores cancellation, so a check can never hold the connection longer.
        var bound = (limit ?? _settings.LookupTime) + TimeSpan.FromSeconds(1);
        try
        {
            return await _evaluator.CheckHostAsync(ip, domain, sender, helo, cancellationToken).WaitAsync(bound, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new SpfResult(SpfResultCode.TempError, domain, problem: $"no answer within {bound.TotalSeconds} s");
        }
    }

    private DecisionKind Classify(SpfResultCode code, RejectPolicy policy, bool nullSender)
    {
        if (policy == RejectPolicy.False)
            return DecisionKind.Prepend;
        var reject = code switch
        {
            SpfResultCode.Fail => policy != RejectPolicy.Null || nullSender,
            SpfResultCode.SoftFail => policy is RejectPolicy.Softfail or RejectPolicy.SpfNotPass,
            SpfResultCode.Neutral => policy == RejectPolicy.SpfNotPass,
            SpfResultCode.PermError => _settings.PermErrorReject,
            _ => false,
        };
        if (reject)
            return DecisionKind.Reject;
        if (code == SpfResultCode.TempError && _settings.TempErrorDefer)
            return DecisionKind.Defer;

        // HELO_reject = Null with a real sender: the HELO result is not acted on at all.
        return policy == RejectPolicy.Null && !nullSender ? DecisionKind.Dunno : DecisionKind.Prepend;
    }

    private Decision Refuse(DecisionKind kind, SpfResult result, string scope, string id, string clientIp, string receiver, bool localPolicy)
    {
        var isError = result.Code is SpfResultCode.PermError or SpfResultCode.TempError;
        string explanation;
        if (localPolicy && result.Code is SpfResultCode.SoftFail or SpfResultCode.Neutral)
            explanation = "Receiver policy for SPF " + SpfHeader.ResultWord(result.Code);
        else if (result.Code == SpfResultCode.Fail && !string.IsNullOrWhiteSpace(result.Explanation))
            explanation = result.Explanation;
        else
            explanation = SpfHeader.DefaultExplanation(result.Code) + (isError && result.Problem is { Length: > 0 } p ? ": " + p : string.Empty);

        var url = "http://www.openspf.net/Why?s=" + scope + ";id=" + UrlPart(id) + ";ip=" + clientIp + ";r=" + UrlPart(receiver);
        var reason = new StringBuilder(_settings.ReasonMessage)
            .Replace("{rejectdefer}", kind == DecisionKind.Reject ? "rejected" : "deferred")
            .Replace("{spf}", SpfHeader.Comment(explanation))
            .Replace("{url}", url)
            .ToString();

        string code;
        if (kind == DecisionKind.Defer)
            code = _settings.EnhancedStatusCodes ? "DEFER_IF_PERMIT 4.7.24" : "DEFER_IF_PERMIT";
        else
            code = !_settings.EnhancedStatusCodes ? "550" : isError ? "550 5.7.24" : "550 5.7.23";
        return new Decision(kind, new PolicyResponse(code + " " + reason));
    }

    private static string UrlPart(string value)
    {
        var sb = new StringBuilder();
        foreach (var c in value.Length > SpfHeader.MaxValueLength ? value[..SpfHeader.MaxValueLength] : value)
        {
            if (c > 0x20 && c < 0x7f && c is not (';' or '%' or '"' or '<' or '>' or '\\' or '(' or ')'))
                sb.Append(c);
            else
                foreach (var b in Encoding.UTF8.GetBytes(c.ToString()))
                    sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private string Header(SpfResult result, string identity, string clientIp, string helo, string sender, string receiver) =>
        _settings.HeaderType == HeaderType.AuthenticationResults
            ? SpfHeader.AuthenticationResults(_authservId, result.Code, identity, clientIp, helo, sender, receiver)
            : SpfHeader.ReceivedSpf(result.Code, identity, clientIp, helo, sender, receiver, identity == "helo" ? SpfHeader.HeloExplanation(result) : null);

    private static Decision Prepend(string header) => new(DecisionKind.Prepend, new PolicyResponse("PREPEND " + header));

    private bool InRejectNotPass(string domain)
    {
        var d = domain.TrimEnd('.');
        return _settings.RejectNotPassDomains.Any(x =>
            string.Equals(d, x.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)
            || d.EndsWith("." + x.TrimEnd('.'), StringComparison.OrdinalIgnoreCase));
    }

    private static string ReverseName(IPAddress ip)
    {
        var client = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
        var bytes = client.GetAddressBytes();
        if (bytes.Length == 4)
            return string.Join('.', bytes.Reverse().Select(b => b.ToString(CultureInfo.InvariantCulture))) + ".in-addr.arpa";
        var sb = new StringBuilder();
        for (var i = bytes.Length - 1; i >= 0; i--)
            sb.Append(CultureInfo.InvariantCulture, $"{bytes[i] & 0xf:x}.{bytes[i] >> 4:x}.");
        return sb.Append("ip6.arpa").ToString();
    }

    /// <summary>True when the debug level writes lines of <paramref name="level"/>: callers test it before computing a line's arguments.</summary>
    private bool Logs(int level) => _settings.DebugLevel >= level;

    private void Log(int level, string template, params object?[] values)
    {
        if (Logs(level))
        {
#pragma warning disable CA2254 // the templates are constants passed through this level filter
            if (level <= 1)
                _log.Information(template, values);
            else
                _log.Debug(template, values);
#pragma warning restore CA2254
        }
    }

    private enum DecisionKind
    {
        Dunno,
        Prepend,
        Reject,
        Defer,
    }

    private sealed record Decision(DecisionKind Kind, PolicyResponse Response);
}
