namespace Mailseal.Dns;

/// <summary>
/// A least-recently-used answer cache with a hard entry bound. Entries expire after the TTL the
/// caller gives; a full cache drops its least recently used entry. Thread-safe.
/// </summary>
internal sealed class DnsCache
{
    private readonly int maxEntries;
    private readonly TimeProvider time;
    private readonly Dictionary<(string Name, DnsRecordType Type), LinkedListNode<Entry>> map = [];
    private readonly LinkedList<Entry> order = new();
    private readonly Lock gate = new();

    public DnsCache(int maxEntries, TimeProvider time)
    {
        this.maxEntries = maxEntries;
        this.time = time;
    }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return map.Count;
            }
        }
    }

    public bool TryGet(string name, DnsRecordType type, out DnsAnswer answer)
    {
        var key = (DnsName.Key(name), type);
        lock (gate)
        {
            if (map.TryGetValue(key, out LinkedListNode<Entry>? node))
            {
                if (node.Value.Expires > time.GetUtcNow())
                {
                    order.Remove(node);
                    order.AddFirst(node);
                    answer = node.Value.Answer;
                    return true;
                }

                order.Remove(node);
                map.Remove(key);
            }
        }

        answer = null!;
        return false;
    }

    public void Set(string name, DnsRecordType type, DnsAnswer answer, TimeSpan ttl)
    {
        if (maxEntries <= 0 || ttl <= TimeSpan.Zero)
        {
            return;
        }

        var key = (DnsName.Key(name), type);
        var entry = new Entry(key, answer, time.GetUtcNow() + ttl);
        lock (gate)
        {
            if (map.TryGetValue(key, out LinkedListNode<Entry>? existing))
            {
                order.Remove(existing);
                map.Remove(key);
            }

            while (map.Count >= maxEntries && order.Last is { } last)
            {
                order.RemoveLast();
                map.Remove(last.Value.Key);
            }

            map[key] = order.AddFirst(entry);
        }
    }

    private sealed record Entry((string Name, DnsRecordType Type) Key, DnsAnswer Answer, DateTimeOffset Expires);
}
