using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.Policy;
using Serilog;

namespace Mailseal.Greyd;

/// <summary>
/// The greylist decision for one policy request, in postgrey 1.37's order: client whitelist
/// (names, then addresses), recipient whitelist, then the store (automatic client whitelist and
/// the triplet). A greylisted request gets the greylist action and text; the first pass after
/// waiting gets one X-Greylist header per message (<c>instance</c>); everything else DUNNO.
/// The store's wait is bounded by <see cref="GreydSettings.StoreTimeout"/>; past it, or on any
/// store error, the request is answered DUNNO (or deferred, if configured) and logged.
/// </summary>
public sealed class GreylistHandler : IBatchPolicyHandler
{
    /// <summary>The version written into the X-Greylist header (<c>%v</c>).</summary>
    public static readonly string Version = typeof(GreylistHandler).Assembly.GetName().Version?.ToString(3) ?? "0";

    private readonly GreydSettings _settings;
    private readonly IGreylistStore _store;
    private readonly ClientWhitelist _clients;
    private readonly RecipientWhitelist _recipients;
    private readonly GreylistKeys _keys;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly PolicyInstanceCache<bool> _instances;
    private readonly string _hostName;
    private long _storeFailures;

    /// <summary>Creates the handler.</summary>
    public GreylistHandler(GreydSettings settings, IGreylistStore store, ClientWhitelist clients, RecipientWhitelist recipients, ILogger log, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(log);
        _settings = settings;
        _store = store;
        _clients = clients;
        _recipients = recipients;
        _log = log;
        _time = time ?? TimeProvider.System;
        _keys = new GreylistKeys(settings.LookupByHost, settings.Ipv4Prefix, settings.Ipv6Prefix, settings.Privacy);
        _instances = new PolicyInstanceCache<bool>(settings.InstanceCacheSize, settings.InstanceCacheLifetime, _time);
        _hostName = settings.HostName.Length > 0 ? settings.HostName : Dns.GetHostName();
    }

    /// <summary>Store calls that failed or timed out since start.</summary>
    public long StoreFailures => Interlocked.Read(ref _storeFailures);

    /// <summary>True with a store on this machine (<see cref="ILocalGreylistStore"/>, the embedded one), false with PostgreSQL.</summary>
    public bool DecidesInBatches => _store is ILocalGreylistStore;

    /// <inheritdoc />
    public async ValueTask<PolicyResponse> HandleAsync(PolicyRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Screen(request, out var tripletKey, out var clientKey) is { } early)
            return early;
        GreylistVerdict verdict;
        try
        {
            // A store that answered at once (the embedded one, committing on this thread) needs no timer.
            var pending = _store.CheckAsync(tripletKey, clientKey, cancellationToken);
            verdict = pending.IsCompletedSuccessfully
                ? pending.Result
                : await pending.AsTask().WaitAsync(_settings.StoreTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // any store failure is answered, never turned into a dropped connection
        catch (Exception e)
#pragma warning restore CA1031
        {
            return StoreFailed(request, e);
        }

        return Answer(request, verdict);
    }

    /// <summary>
    /// Decides a round of requests from the policy server's event loop: the whitelists for each,
    /// then every store check of the round in one transaction of the embedded store, then the
    /// answers, in order. A store failure is answered for each request as in
    /// <see cref="HandleAsync"/> (DUNNO, or the deferral when configured).
    /// </summary>
    public void DecideBatch(ReadOnlySpan<PolicyRequest> requests, Span<PolicyResponse> responses)
    {
        var store = _store as ILocalGreylistStore ?? throw new InvalidOperationException($"{_store.Description} cannot decide in batches");
        var checks = new (string TripletKey, string? ClientKey)[requests.Length];
        var indexes = new int[requests.Length];
        var count = 0;
        for (var i = 0; i < requests.Length; i++)
        {
            if (Screen(requests[i], out var tripletKey, out var clientKey) is { } early)
            {
                responses[i] = early;
                continue;
            }

            checks[count] = (tripletKey, clientKey);
            indexes[count++] = i;
        }

        if (count == 0)
            return;
        var verdicts = new GreylistVerdict[count];
        try
        {
            store.CheckBatch(checks.AsSpan(0, count), verdicts);
        }
#pragma warning disable CA1031 // any store failure is answered, never turned into a dropped connection
        catch (Exception e)
#pragma warning restore CA1031
        {
            for (var k = 0; k < count; k++)
                responses[indexes[k]] = StoreFailed(requests[indexes[k]], e);
            return;
        }

        for (var k = 0; k < count; k++)
            responses[indexes[k]] = Answer(requests[indexes[k]], verdicts[k]);
    }

    /// <summary>
    /// Everything decided before the store, in postgrey's order: the answer when one of them
    /// decides (no usable client address, a whitelisted client or recipient), else null and the
    /// keys to ask the store for.
    /// </summary>
    private PolicyResponse? Screen(PolicyRequest request, out string tripletKey, out string? clientKey)
    {
        tripletKey = string.Empty;
        clientKey = null;
        if (!string.Equals(request.RequestType, "smtpd_access_policy", StringComparison.Ordinal))
        {
            Log(2, request, "pass", "unknown request type", null);
            return PolicyResponse.Dunno;
        }

        if (!IPAddress.TryParse(request.ClientAddress, out var ip) || ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            Log(1, request, "pass", "no usable client_address", null);
            return PolicyResponse.Dunno;
        }

        if (_clients.Contains(request.ClientName, ip))
        {
            Log(1, request, "pass", "client whitelist", null);
            return PolicyResponse.Dunno;
        }

        if (_recipients.Contains(request.Recipient))
        {
            Log(1, request, "pass", "recipient whitelist", null);
            return PolicyResponse.Dunno;
        }

        tripletKey = _keys.Triplet(ip, request.Sender, request.Recipient);
        clientKey = _settings.Parameters.AutoWhitelistClients > 0 ? _keys.Client(ip) : null;
        return null;
    }

    /// <summary>The answer for a store that failed or did not answer in time: DUNNO, or the deferral when configured.</summary>
    private PolicyResponse StoreFailed(PolicyRequest request, Exception e)
    {
        Interlocked.Increment(ref _storeFailures);
        var reason = e is TimeoutException ? $"no answer within {(long)_settings.StoreTimeout.TotalMilliseconds} ms" : e.GetType().Name + ": " + e.Message;
        if (_settings.StoreUnavailable == StoreFailureAction.Defer)
        {
            _log.Warning("{Queue}greylist store {Store:l} unavailable ({Reason}); deferring", Queue(request), _store.Description, reason);
            return new PolicyResponse(_settings.GreylistAction + " 4.3.0 Greylist temporarily unavailable, try again later");
        }

        _log.Warning("{Queue}greylist store {Store:l} unavailable ({Reason}); passing (DUNNO)", Queue(request), _store.Description, reason);
        return PolicyResponse.Dunno;
    }

    /// <summary>The answer for the store's verdict: the greylist action, one X-Greylist header per message, or DUNNO.</summary>
    private PolicyResponse Answer(PolicyRequest request, GreylistVerdict verdict)
    {
        switch (verdict.Outcome)
        {
            case GreylistOutcome.ClientAutoWhitelisted:
                Log(1, request, "pass", "client AWL", null);
                return PolicyResponse.Dunno;
            case GreylistOutcome.Greylisted:
                Log(1, request, "greylist", verdict.Delayed > 0 ? $"early-retry ({verdict.Remaining}s missing)" : "new", null);
                return new PolicyResponse(_settings.GreylistAction + " " + GreylistText(request, verdict.Remaining));
            case GreylistOutcome.PassedAfterDelay:
                if (_instances.TryGet(request.Instance, out _))
                {
                    Log(1, request, "pass", "triplet found", null);
                    return PolicyResponse.Dunno;
                }

                _instances.Set(request.Instance, true);
                Log(1, request, "pass", "triplet found", "delay=" + verdict.Delayed.ToString(CultureInfo.InvariantCulture));
                return new PolicyResponse("PREPEND " + Header(verdict.Delayed));
            default:
                Log(1, request, "pass", "triplet found", null);
                return PolicyResponse.Dunno;
        }
    }

    /// <summary>
    /// The reply text as postgrey builds it: <c>4.2.0 </c> in front when Postfix sent
    /// <c>etrn_domain</c> (Postfix 2.3 and later always do) and the text has no status code of
    /// its own; the first <c>%s</c> is the seconds left, the first <c>%r</c> the recipient's domain.
    /// </summary>
    internal string GreylistText(PolicyRequest request, long remaining)
    {
        var text = _settings.GreylistText;
        if (request.Attributes.ContainsKey("etrn_domain") && (text.Length == 0 || !char.IsAsciiDigit(text[0])))
            text = "4.2.0 " + text;
        text = ReplaceFirst(text, "%s", remaining.ToString(CultureInfo.InvariantCulture));
        var recipient = request.Recipient;
        var at = recipient.LastIndexOf('@');
        return ReplaceFirst(text, "%r", at >= 0 ? recipient[(at + 1)..] : recipient);
    }

    internal string Header(long delayed)
    {
        var date = _time.GetLocalNow().ToString("ddd, dd MMM yyyy HH:mm:ss zzz", CultureInfo.InvariantCulture).Remove(29, 1);
        var header = ReplaceFirst(_settings.HeaderTemplate, "%t", delayed.ToString(CultureInfo.InvariantCulture));
        header = ReplaceFirst(header, "%v", Version);
        header = ReplaceFirst(header, "%d", date);
        return ReplaceFirst(header, "%h", _hostName);
    }

    private static string ReplaceFirst(string text, string token, string value)
    {
        var i = text.IndexOf(token, StringComparison.Ordinal);
        return i < 0 ? text : string.Concat(text.AsSpan(0, i), value, text.AsSpan(i + token.Length));
    }

    private static string Queue(PolicyRequest request) => request.QueueId.Length > 0 ? request.QueueId + ": " : string.Empty;

    // postgrey's log line: "QUEUEID: action=greylist, reason=new, client_name=..., client_address=..., sender=..., recipient=..."
    private void Log(int level, PolicyRequest request, string action, string reason, string? extra)
    {
        if (_settings.Verbosity < level)
            return;
        var sb = new StringBuilder(160).Append(Queue(request)).Append("action=").Append(action).Append(", reason=").Append(reason);
        if (extra is not null)
            sb.Append(", ").Append(extra);
        foreach (var name in new[] { "client_name", "client_address", "sender", "recipient" })
        {
            var value = request[name];
            if (value.Length > 0)
                sb.Append(", ").Append(name).Append('=').Append(value.Length > 256 ? value[..256] : value);
        }

        if (level <= 1)
            _log.Information("{Line:l}", sb.ToString());
        else
            _log.Debug("{Line:l}", sb.ToString());
    }
}
