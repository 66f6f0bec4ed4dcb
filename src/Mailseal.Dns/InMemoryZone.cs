using System.Globalization;
using System.Net;

namespace Mailseal.Dns;

/// <summary>
/// A dictionary-backed <see cref="IDnsResolver"/> for tests and the SPF conformance runner.
/// Names compare ASCII case-insensitively; CNAME chains are followed (up to
/// <see cref="MaxCnameChain"/> links; a loop or a longer chain answers <see cref="DnsStatus.ServFail"/>).
/// A name marked with <see cref="AddTimeout"/> answers <see cref="DnsStatus.Timeout"/> for every type it
/// holds no record of; one marked with <see cref="AddServFail"/> answers <see cref="DnsStatus.ServFail"/>.
/// Thread-safe: records may be added while queries run.
/// </summary>
public sealed class InMemoryZone : IDnsResolver
{
    /// <summary>How many CNAME links a query follows before it answers <see cref="DnsStatus.ServFail"/>.</summary>
    public const int MaxCnameChain = 16;

    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _queryCount;

    /// <summary>How many queries this zone has answered (for tests that count lookups).</summary>
    public int QueryCount => Volatile.Read(ref _queryCount);

    /// <summary>Adds a record.</summary>
    public void Add(DnsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            GetNode(record.Name).Records.Add(record);
        }
    }

    /// <summary>
    /// Adds a record from presentation-style data: an address for A/AAAA, a name for
    /// PTR/CNAME/NS, "PREFERENCE EXCHANGE" for MX, one character-string for TXT/SPF.
    /// </summary>
    /// <exception cref="FormatException">The data does not fit the type.</exception>
    public void Add(string name, DnsRecordType type, string data, uint ttl = 3600)
    {
        ArgumentNullException.ThrowIfNull(data);
        switch (type)
        {
            case DnsRecordType.A or DnsRecordType.Aaaa:
                if (!IPAddress.TryParse(data, out IPAddress? address) ||
                    (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) != (type == DnsRecordType.A))
                {
                    throw new FormatException($"'{data}' is not an address for a {type} record.");
                }

                Add(DnsRecord.ForAddress(name, address, ttl));
                break;
            case DnsRecordType.Ptr or DnsRecordType.Cname or DnsRecordType.Ns:
                Add(DnsRecord.ForTarget(name, type, data, ttl));
                break;
            case DnsRecordType.Mx:
                string[] parts = data.Split(' ', 2, StringSplitOptions.TrimEntries);
                if (parts.Length != 2 || !ushort.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ushort preference))
                {
                    throw new FormatException($"'{data}' is not 'PREFERENCE EXCHANGE'.");
                }

                Add(DnsRecord.ForMx(name, preference, parts[1], ttl));
                break;
            case DnsRecordType.Txt or DnsRecordType.Spf:
                Add(DnsRecord.ForText(name, [data], type, ttl));
                break;
            default:
                throw new FormatException($"{type} records cannot be added from text.");
        }
    }

    /// <summary>Adds a TXT (or SPF) record made of several character-strings.</summary>
    public void AddText(string name, IReadOnlyList<string> strings, DnsRecordType type = DnsRecordType.Txt, uint ttl = 3600) =>
        Add(DnsRecord.ForText(name, strings, type, ttl));

    /// <summary>Makes <paramref name="name"/> exist with no records, so queries answer NODATA rather than NXDOMAIN.</summary>
    public void AddName(string name)
    {
        lock (_gate)
        {
            GetNode(name);
        }
    }

    /// <summary>Makes queries for <paramref name="name"/> time out, except for types it holds records of.</summary>
    public void AddTimeout(string name)
    {
        lock (_gate)
        {
            GetNode(name).Failure = DnsStatus.Timeout;
        }
    }

    /// <summary>Makes queries for <paramref name="name"/> answer SERVFAIL, except for types it holds records of.</summary>
    public void AddServFail(string name)
    {
        lock (_gate)
        {
            GetNode(name).Failure = DnsStatus.ServFail;
        }
    }

    /// <summary>True when the zone holds <paramref name="name"/> (with or without records).</summary>
    public bool Contains(string name)
    {
        lock (_gate)
        {
            return _nodes.ContainsKey(DnsName.Key(name));
        }
    }

    /// <summary>True when the zone holds a record of <paramref name="type"/> at exactly <paramref name="name"/> (no CNAME following).</summary>
    public bool Contains(string name, DnsRecordType type)
    {
        lock (_gate)
        {
            return _nodes.TryGetValue(DnsName.Key(name), out Node? node) && node.Records.Any(r => r.Type == type);
        }
    }

    /// <inheritdoc/>
    public Task<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _queryCount);
        lock (_gate)
        {
            return Task.FromResult(Resolve(name, type));
        }
    }

    private DnsAnswer Resolve(string name, DnsRecordType type)
    {
        if (!DnsName.IsValidQueryName(name))
        {
            return new DnsAnswer(DnsStatus.FormatError);
        }

        string current = DnsName.Normalize(name);
        string? canonical = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int link = 0; link <= MaxCnameChain; link++)
        {
            string key = DnsName.Key(current);
            if (!seen.Add(key))
            {
                return new DnsAnswer(DnsStatus.ServFail, null, canonical);
            }

            if (!_nodes.TryGetValue(key, out Node? node))
            {
                return new DnsAnswer(DnsStatus.NxDomain, null, canonical);
            }

            List<DnsRecord> matches = node.Records.Where(r => r.Type == type).ToList();
            if (matches.Count > 0)
            {
                return new DnsAnswer(DnsStatus.Ok, matches, canonical);
            }

            DnsRecord? alias = node.Records.FirstOrDefault(r => r.Type == DnsRecordType.Cname);
            if (alias?.Target is { } target)
            {
                current = target;
                canonical = target;
                continue;
            }

            return new DnsAnswer(node.Failure ?? DnsStatus.NoData, null, canonical);
        }

        return new DnsAnswer(DnsStatus.ServFail, null, canonical);
    }

    private Node GetNode(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = DnsName.Key(name);
        if (!_nodes.TryGetValue(key, out Node? node))
        {
            node = new Node();
            _nodes.Add(key, node);
        }

        return node;
    }

    private sealed class Node
    {
        public List<DnsRecord> Records { get; } = [];

        public DnsStatus? Failure { get; set; }
    }
}
