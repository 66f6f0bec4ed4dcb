using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Mailseal.Core.Net;

namespace Mailseal.Dns.Spf;

/// <summary>
/// The check_host() function of RFC 7208: fetches the domain's SPF record through an
/// <see cref="IDnsResolver"/> and evaluates it against the client address. Thread-safe;
/// one instance serves many concurrent checks.
/// </summary>
/// <remarks>
/// Every DNS failure (timeout, SERVFAIL) becomes temperror, never "no record". The DNS-term
/// limit, the void-lookup limit, the MX and PTR name limits and the overall lookup time come
/// from <see cref="SpfOptions"/>.
/// </remarks>
public sealed class SpfEvaluator
{
    /// <summary>Parsed records kept at most; the cache starts over when it is full.</summary>
    private const int ParsedRecordCacheSize = 4096;

    private readonly IDnsResolver _resolver;
    private readonly SpfOptions _options;

    /// <summary>
    /// Record text to its parse (or its permerror reason): a busy server sees the same few
    /// hundred records again and again, and parsing is most of the work of a cached check.
    /// </summary>
    private readonly ConcurrentDictionary<string, (SpfRecord? Record, string? Error)> _parsedRecords = new(StringComparer.Ordinal);

    /// <summary>Creates an evaluator.</summary>
    /// <param name="resolver">Where DNS answers come from.</param>
    /// <param name="options">Limits; null takes the RFC 7208 defaults.</param>
    public SpfEvaluator(IDnsResolver resolver, SpfOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        _resolver = resolver;
        _options = options ?? new SpfOptions();
        if (_options.DnsMechanismLimit < 0 || _options.VoidLookupLimit < 0 || _options.MxAddressLimit < 0 ||
            _options.PtrAddressLimit < 0 || _options.LookupTime <= TimeSpan.Zero || _options.MaxRecordLength < 1 ||
            _options.MaxExplanationLength < 0)
        {
            throw new ArgumentException("SPF limits must not be negative and LookupTime must be positive.", nameof(options));
        }

        ArgumentNullException.ThrowIfNull(_options.ReceivingHost, nameof(options));
    }

    /// <summary>
    /// Checks the MAIL FROM identity. An empty (null) reverse-path is checked as postmaster@HELO
    /// (RFC 7208 section 2.4); a sender without a local part gets "postmaster".
    /// </summary>
    /// <param name="client">The SMTP client's address.</param>
    /// <param name="mailFrom">The MAIL FROM address without angle brackets; empty (or "&lt;&gt;") for the null sender.</param>
    /// <param name="helo">The HELO/EHLO name.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    public Task<SpfResult> CheckMailFromAsync(IPAddress client, string mailFrom, string helo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(helo);
        if (mailFrom.Length == 0 || mailFrom == "<>")
        {
            return CheckHeloAsync(client, helo, cancellationToken);
        }

        int at = mailFrom.LastIndexOf('@');
        string domain = at >= 0 ? mailFrom[(at + 1)..] : mailFrom;
        return CheckHostAsync(client, domain, mailFrom, helo, cancellationToken);
    }

    /// <summary>Checks the HELO identity (RFC 7208 section 2.3): the domain is the HELO name, the sender postmaster@HELO.</summary>
    public Task<SpfResult> CheckHeloAsync(IPAddress client, string helo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(helo);
        return CheckHostAsync(client, helo, "postmaster@" + helo, helo, cancellationToken);
    }

    /// <summary>
    /// check_host(ip, domain, sender) of RFC 7208 section 4. An IPv4-mapped IPv6 client is
    /// checked as IPv4. An empty <paramref name="sender"/> is taken as postmaster@<paramref name="helo"/>.
    /// A malformed domain (empty or over-long label, single label, address literal) gives none.
    /// </summary>
    /// <param name="client">The SMTP client's address.</param>
    /// <param name="domain">The domain whose policy to check.</param>
    /// <param name="sender">The MAIL FROM address, or postmaster@HELO for the HELO identity.</param>
    /// <param name="helo">The HELO/EHLO name (for %{h}).</param>
    /// <param name="cancellationToken">Cancels the check (throws); running past <see cref="SpfOptions.LookupTime"/> gives temperror instead.</param>
    public async Task<SpfResult> CheckHostAsync(IPAddress client, string domain, string sender, string helo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(helo);
        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        if (client.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException("The client must be an IPv4 or IPv6 address.", nameof(client));
        }

        if (client.AddressFamily == AddressFamily.InterNetworkV6 && client.ScopeId != 0)
        {
            client = new IPAddress(client.GetAddressBytes());
        }

        string checkedDomain = DnsName.Normalize(domain);
        if (!IsValidDomain(checkedDomain))
        {
            return new SpfResult(SpfResultCode.None, domain, problem: $"'{domain}' is not a valid domain name to check");
        }

        if (sender.Length == 0)
        {
            sender = "postmaster@" + helo;
        }

        int at = sender.LastIndexOf('@');
        string localPart = at > 0 ? sender[..at] : "postmaster";
        string senderDomain = at >= 0 ? sender[(at + 1)..] : sender;
        if (at <= 0)
        {
            sender = localPart + "@" + senderDomain;
        }

        var state = new State();
        var context = new SpfMacroContext
        {
            Sender = sender,
            LocalPart = localPart,
            SenderDomain = senderDomain,
            Domain = checkedDomain,
            Client = client,
            Helo = helo,
            ReceivingHost = _options.ReceivingHost,
            Timestamp = _options.Time.GetUtcNow().ToUnixTimeSeconds(),
            ValidatedName = (target, ct) => ValidatedNameAsync(client, target, ct),
        };

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.LookupTime);
        try
        {
            Outcome outcome = await CheckAsync(context, state, deadline.Token).ConfigureAwait(false);
            string? explanation = outcome.Explanation;
            if (outcome.Code == SpfResultCode.Fail && explanation is null && _options.DefaultExplanation is not null)
            {
                explanation = await ExpandExplanationAsync(_options.DefaultExplanation, context, deadline.Token).ConfigureAwait(false);
            }

            return new SpfResult(outcome.Code, checkedDomain, outcome.Mechanism, explanation, outcome.Problem);
        }
        catch (SpfException ex)
        {
            return new SpfResult(ex.Code, checkedDomain, problem: ex.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SpfResult(SpfResultCode.TempError, checkedDomain, problem: $"the check took longer than {_options.LookupTime.TotalSeconds} s");
        }
    }

    /// <summary>True for a name check_host() may evaluate: multi-label, labels of 1-63 characters, at most 253 characters, no address literal.</summary>
    internal static bool IsValidDomain(string domain)
    {
        if (!DnsName.IsValidQueryName(domain) || domain.StartsWith('['))
        {
            return false;
        }

        return DnsName.Normalize(domain).Contains('.', StringComparison.Ordinal);
    }

    /// <summary>One check_host() level: fetch, parse and evaluate the record of context.Domain.</summary>
    private async Task<Outcome> CheckAsync(SpfMacroContext context, State state, CancellationToken cancellationToken)
    {
        string domain = context.Domain;
        if (!IsValidDomain(domain))
        {
            return new Outcome(SpfResultCode.None, null, null, $"'{domain}' is not a valid domain name");
        }

        DnsAnswer answer = await _resolver.QueryAsync(domain, DnsRecordType.Txt, cancellationToken).ConfigureAwait(false);
        if (answer.IsTemporaryFailure)
        {
            throw SpfException.Temp($"DNS {answer.Status} looking up the SPF record of {domain}");
        }

        // The one v=spf1 record among the TXT records (a loop, not a query: every check passes here).
        string? text = null;
        int count = 0;
        for (int i = 0; i < answer.Records.Count; i++)
        {
            DnsRecord r = answer.Records[i];
            if (r.Type == DnsRecordType.Txt && r.Text is not null && SpfRecord.IsSpf1(r.Text))
            {
                text ??= r.Text;
                count++;
            }
        }

        if (text is null)
        {
            return new Outcome(SpfResultCode.None, null, null, $"no SPF record at {domain}");
        }

        if (count > 1)
        {
            throw SpfException.Perm($"{domain} publishes {count} SPF records");
        }

        if (text.Length > _options.MaxRecordLength)
        {
            throw SpfException.Perm($"the SPF record of {domain} is longer than {_options.MaxRecordLength} characters");
        }

        SpfRecord record = Parse(text);
        foreach (SpfDirective directive in record.Directives)
        {
            if (directive.NeedsDns)
            {
                CountDnsTerm(state);
            }

            if (await MatchesAsync(directive, context, state, cancellationToken).ConfigureAwait(false))
            {
                string? explanation = null;
                if (directive.Qualifier == SpfResultCode.Fail && record.Explanation is not null)
                {
                    explanation = await ExplainAsync(record.Explanation, context, cancellationToken).ConfigureAwait(false);
                }

                return new Outcome(directive.Qualifier, directive.Text, explanation, null);
            }
        }

        if (record.Redirect is not null)
        {
            CountDnsTerm(state);
            string target = await SpfMacro.ExpandAsync(record.Redirect, context, explanation: false, cancellationToken).ConfigureAwait(false);
            Outcome redirected = await CheckAsync(context.WithDomain(DnsName.Normalize(target)), state, cancellationToken).ConfigureAwait(false);
            if (redirected.Code == SpfResultCode.None)
            {
                throw SpfException.Perm($"redirect={target} has no SPF record ({redirected.Problem})");
            }

            return redirected;
        }

        return new Outcome(SpfResultCode.Neutral, null, null, null);
    }

    /// <summary>True when the client is in the network of one of the addresses (a loop: the a and mx mechanisms run it on every check).</summary>
    private static bool AnyInNetwork(IPAddress client, IReadOnlyList<IPAddress> addresses, int cidr)
    {
        for (int i = 0; i < addresses.Count; i++)
        {
            if (InNetwork(client, addresses[i], cidr))
            {
                return true;
            }
        }

        return false;
    }

    private void CountDnsTerm(State state)
    {
        if (++state.DnsTerms > _options.DnsMechanismLimit)
        {
            throw SpfException.Perm($"more than {_options.DnsMechanismLimit} DNS-querying terms");
        }
    }

    private void CountVoid(State state, string name)
    {
        if (++state.VoidLookups > _options.VoidLookupLimit)
        {
            throw SpfException.Perm($"more than {_options.VoidLookupLimit} void lookups (the last for {name})");
        }
    }

    private async Task<bool> MatchesAsync(SpfDirective directive, SpfMacroContext context, State state, CancellationToken cancellationToken)
    {
        IPAddress client = context.Client;
        bool v4 = client.AddressFamily == AddressFamily.InterNetwork;
        switch (directive.Mechanism)
        {
            case SpfMechanism.All:
                return true;

            case SpfMechanism.Ip4:
                return v4 && InNetwork(client, directive.Network!, directive.Cidr4);

            case SpfMechanism.Ip6:
                return !v4 && InNetwork(client, directive.Network!, directive.Cidr6);

            case SpfMechanism.A:
                {
                    string target = await TargetAsync(directive, context, cancellationToken).ConfigureAwait(false);
                    IReadOnlyList<IPAddress> addresses = await AddressesAsync(target, v4, state, countVoid: true, cancellationToken).ConfigureAwait(false);
                    return AnyInNetwork(client, addresses, v4 ? directive.Cidr4 : directive.Cidr6);
                }

            case SpfMechanism.Mx:
                {
                    string target = await TargetAsync(directive, context, cancellationToken).ConfigureAwait(false);
                    DnsAnswer mx = await QueryAsync(target, DnsRecordType.Mx, cancellationToken).ConfigureAwait(false);
                    if (mx.IsEmpty)
                    {
                        CountVoid(state, target);
                        return false;
                    }

                    var exchanges = mx.Records.Where(r => r.Type == DnsRecordType.Mx && r.Exchange is { Length: > 0 } e && e != ".")
                        .Select(r => r.Exchange!).ToList();
                    if (exchanges.Count > _options.MxAddressLimit)
                    {
                        throw SpfException.Perm($"{target} has more than {_options.MxAddressLimit} MX records");
                    }

                    foreach (string exchange in exchanges)
                    {
                        IReadOnlyList<IPAddress> addresses = await AddressesAsync(exchange, v4, state, countVoid: false, cancellationToken).ConfigureAwait(false);
                        if (AnyInNetwork(client, addresses, v4 ? directive.Cidr4 : directive.Cidr6))
                        {
                            return true;
                        }
                    }

                    return false;
                }

            case SpfMechanism.Ptr:
                {
                    string target = await TargetAsync(directive, context, cancellationToken).ConfigureAwait(false);
                    IReadOnlyList<string> names = await ValidatedNamesAsync(client, state, cancellationToken).ConfigureAwait(false);
                    return names.Any(n => IsSameOrSubdomain(n, target));
                }

            case SpfMechanism.Exists:
                {
                    string target = await TargetAsync(directive, context, cancellationToken).ConfigureAwait(false);
                    DnsAnswer answer = await QueryAsync(target, DnsRecordType.A, cancellationToken).ConfigureAwait(false);
                    if (answer.IsEmpty)
                    {
                        CountVoid(state, target);
                        return false;
                    }

                    return true;
                }

            default: // Include
                {
                    string target = await TargetAsync(directive, context, cancellationToken).ConfigureAwait(false);
                    Outcome inner = await CheckAsync(context.WithDomain(target), state, cancellationToken).ConfigureAwait(false);
                    return inner.Code switch
                    {
                        SpfResultCode.Pass => true,
                        SpfResultCode.Fail or SpfResultCode.SoftFail or SpfResultCode.Neutral => false,
                        SpfResultCode.TempError => throw SpfException.Temp($"include:{target} gave temperror ({inner.Problem})"),
                        SpfResultCode.None => throw SpfException.Perm($"include:{target} has no SPF record"),
                        _ => throw SpfException.Perm($"include:{target} gave permerror ({inner.Problem})"),
                    };
                }
        }
    }

    private static async Task<string> TargetAsync(SpfDirective directive, SpfMacroContext context, CancellationToken cancellationToken)
    {
        if (directive.DomainSpec is null)
        {
            return context.Domain;
        }

        string expanded = await SpfMacro.ExpandAsync(directive.DomainSpec, context, explanation: false, cancellationToken).ConfigureAwait(false);
        return DnsName.Normalize(expanded);
    }

    /// <summary>A lookup whose name is not even a valid DNS name finds nothing (it cannot exist).</summary>
    private async Task<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        if (!DnsName.IsValidQueryName(name))
        {
            return new DnsAnswer(DnsStatus.NxDomain);
        }

        DnsAnswer answer = await _resolver.QueryAsync(name, type, cancellationToken).ConfigureAwait(false);
        if (answer.IsTemporaryFailure)
        {
            throw SpfException.Temp($"DNS {answer.Status} looking up {type.ToString().ToUpperInvariant()} of {name}");
        }

        return answer;
    }

    private async Task<IReadOnlyList<IPAddress>> AddressesAsync(string name, bool v4, State state, bool countVoid, CancellationToken cancellationToken)
    {
        DnsAnswer answer = await QueryAsync(name, v4 ? DnsRecordType.A : DnsRecordType.Aaaa, cancellationToken).ConfigureAwait(false);
        if (answer.IsEmpty)
        {
            if (countVoid)
            {
                CountVoid(state, name);
            }

            return [];
        }

        var addresses = new List<IPAddress>(answer.Records.Count);
        for (int i = 0; i < answer.Records.Count; i++)
        {
            if (answer.Records[i].Address is { } address)
            {
                addresses.Add(address);
            }
        }

        return addresses;
    }

    /// <summary>
    /// The client's validated names (RFC 7208 section 5.5): PTR names (the first
    /// <see cref="SpfOptions.PtrAddressLimit"/>) whose forward lookup gives the client back.
    /// DNS errors make a name (or the whole lookup) not match; they are not temperror.
    /// </summary>
    private async Task<IReadOnlyList<string>> ValidatedNamesAsync(IPAddress client, State? state, CancellationToken cancellationToken)
    {
        string reverse = DnsName.ReverseName(client);
        DnsAnswer ptr = await _resolver.QueryAsync(reverse, DnsRecordType.Ptr, cancellationToken).ConfigureAwait(false);
        if (ptr.Status != DnsStatus.Ok || ptr.Records.Count == 0)
        {
            if (state is not null && ptr.IsEmpty)
            {
                CountVoid(state, reverse);
            }

            return [];
        }

        bool v4 = client.AddressFamily == AddressFamily.InterNetwork;
        var validated = new List<string>();
        foreach (DnsRecord record in ptr.Records.Where(r => r.Target is not null).Take(_options.PtrAddressLimit))
        {
            string name = record.Target!;
            if (!DnsName.IsValidQueryName(name))
            {
                continue;
            }

            DnsAnswer forward = await _resolver.QueryAsync(name, v4 ? DnsRecordType.A : DnsRecordType.Aaaa, cancellationToken).ConfigureAwait(false);
            if (forward.Status == DnsStatus.Ok && forward.Records.Any(r => client.Equals(r.Address)))
            {
                validated.Add(name);
            }
        }

        return validated;
    }

    /// <summary>%{p}: a validated name equal to or under the target, else any validated name, else "unknown" (section 7.3).</summary>
    private async Task<string> ValidatedNameAsync(IPAddress client, string target, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> names = await ValidatedNamesAsync(client, null, cancellationToken).ConfigureAwait(false);
        return names.FirstOrDefault(n => IsSameOrSubdomain(n, target)) ?? names.FirstOrDefault() ?? "unknown";
    }

    private static bool IsSameOrSubdomain(string name, string domain)
    {
        name = DnsName.Normalize(name);
        domain = DnsName.Normalize(domain);
        return name.Equals(domain, StringComparison.OrdinalIgnoreCase) ||
            name.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The exp= text (RFC 7208 section 6.2); any failure leaves the result without explanation.</summary>
    private async Task<string?> ExplainAsync(string spec, SpfMacroContext context, CancellationToken cancellationToken)
    {
        try
        {
            string name = DnsName.Normalize(await SpfMacro.ExpandAsync(spec, context, explanation: false, cancellationToken).ConfigureAwait(false));
            if (!DnsName.IsValidQueryName(name))
            {
                return null;
            }

            DnsAnswer answer = await _resolver.QueryAsync(name, DnsRecordType.Txt, cancellationToken).ConfigureAwait(false);
            if (answer.Status != DnsStatus.Ok || answer.Records.Count != 1 || answer.Records[0].Text is not { } text)
            {
                return null;
            }

            return await ExpandExplanationAsync(text, context, cancellationToken).ConfigureAwait(false);
        }
        catch (SpfException)
        {
            return null;
        }
    }

    /// <summary>Expands explanation text; null when it is not printable ASCII or breaks the macro syntax.</summary>
    private async Task<string?> ExpandExplanationAsync(string text, SpfMacroContext context, CancellationToken cancellationToken)
    {
        string explanation;
        try
        {
            explanation = await SpfMacro.ExpandAsync(text, context, explanation: true, cancellationToken).ConfigureAwait(false);
        }
        catch (SpfException)
        {
            return null;
        }

        foreach (char c in explanation)
        {
            if (c > 0x7e || c < 0x20)
            {
                return null;
            }
        }

        return explanation.Length > _options.MaxExplanationLength ? explanation[.._options.MaxExplanationLength] : explanation;
    }

    private static bool InNetwork(IPAddress address, IPAddress network, int prefix) =>
        AddressRange.Create(network, prefix).Contains(address);

    private sealed class State
    {
        public int DnsTerms { get; set; }

        public int VoidLookups { get; set; }
    }

    private SpfRecord Parse(string text)
    {
        if (_parsedRecords.TryGetValue(text, out var known))
            return known.Record ?? throw SpfException.Perm(known.Error!);
        if (_parsedRecords.Count >= ParsedRecordCacheSize)
            _parsedRecords.Clear();
        try
        {
            SpfRecord record = SpfRecord.Parse(text);
            _parsedRecords[text] = (record, null);
            return record;
        }
        catch (SpfException e)
        {
            _parsedRecords[text] = (null, e.Message);
            throw;
        }
    }

    private readonly record struct Outcome(SpfResultCode Code, string? Mechanism, string? Explanation, string? Problem);
}
