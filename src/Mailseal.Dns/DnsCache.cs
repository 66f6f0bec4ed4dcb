namespace Mailseal.Dns;

/// <summary>
/// A least-recently-used answer cache with a hard entry bound. Entries expire after the TTL the
/// caller gives; a full cache drops its least recently used entry. Thread-safe.
/// </summary>
internal sealed class DnsCache
{
    private readonly int _maxEntries;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string Name, DnsRecordType Type), LinkedListNode<Entry>> _map = [];
    private readonly LinkedList<Entry> _order = new();
    private readonly Lock _gate = new();

    public DnsCache(int maxEntries, TimeProvider time)
    {
        _maxEntries = maxEntries;
        _time = time;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _map.Count;
            }
        }
    }

    public bool TryGet(string name, DnsRecordType type, out DnsAnswer answer)
    {
        var key = (DnsName.Key(name), type);
        lock (_gate)
        {
            if (_map.TryGetValue(key, out LinkedListNode<Entry>? node))
            {
                if (node.Value.Expires > _time.GetUtcNow())
                {
                    _order.Remove(node);
                    _order.AddFirst(node);
                    answer = node.Value.Answer;
                    return true;
                }

                _order.Remove(node);
                _map.Remove(key);
            }
        }

        answer = null!;
        return false;
    }

    public void Set(string name, DnsRecordType type, DnsAnswer answer, TimeSpan ttl)
    {
        if (_maxEntries <= 0 || ttl <= TimeSpan.Zero)
        {
            return;
        }

        var key = (DnsName.Key(name), type);
        var entry = new Entry(key, answer, _time.GetUtcNow() + ttl);
        lock (_gate)
        {
            if (_map.TryGetValue(key, out LinkedListNode<Entry>? existing))
            {
                _order.Remove(existing);
                _map.Remove(key);
            }

            while (_map.Count >= _maxEntries && _order.Last is { } last)
            {
                _order.RemoveLast();
                _map.Remove(last.Value.Key);
            }

            _map[key] = _order.AddFirst(entry);
        }
    }

    private sealed record Entry((string Name, DnsRecordType Type) Key, DnsAnswer Answer, DateTimeOffset Expires);
}
