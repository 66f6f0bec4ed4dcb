namespace Mailseal.Policy;

/// <summary>
/// Remembers a value per Postfix <c>instance</c> attribute, which is the same for every request
/// of one message, so a handler evaluates a message once however many RCPT TO requests it has
/// (and adds one header, not one per recipient). Bounded in entries (the oldest is dropped
/// first) and in time (an entry expires after <c>lifetime</c>), so a client that invents a new
/// instance per request cannot grow it. Thread-safe.
/// </summary>
/// <typeparam name="TValue">What the handler remembers about a message.</typeparam>
public sealed class PolicyInstanceCache<TValue>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _order = new();
    private readonly TimeProvider _time;

    /// <summary>Creates a cache.</summary>
    /// <param name="capacity">Most messages remembered (for example 10000).</param>
    /// <param name="lifetime">How long one message is remembered (for example one hour, Postfix's policy time limit).</param>
    /// <param name="time">Clock; tests pass a fake one.</param>
    public PolicyInstanceCache(int capacity, TimeSpan lifetime, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        Capacity = capacity;
        Lifetime = lifetime;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Most entries held.</summary>
    public int Capacity { get; }

    /// <summary>How long an entry lives.</summary>
    public TimeSpan Lifetime { get; }

    /// <summary>Entries held now (expired ones not yet dropped included).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    /// <summary>Looks up the value for an instance; an empty instance is never found.</summary>
    public bool TryGet(string instance, out TValue value)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (_lock)
        {
            if (instance.Length > 0 && _entries.TryGetValue(instance, out var node))
            {
                if (node.Value.Expires > _time.GetUtcNow())
                {
                    value = node.Value.Value;
                    return true;
                }

                _entries.Remove(instance);
                _order.Remove(node);
            }
        }

        value = default!;
        return false;
    }

    /// <summary>Stores the value for an instance (an empty instance is not stored: Postfix always sends one).</summary>
    public void Set(string instance, TValue value)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (instance.Length == 0)
            return;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_entries.TryGetValue(instance, out var old))
            {
                _order.Remove(old);
                _entries.Remove(instance);
            }

            // Drop expired entries from the old end, then the oldest while full.
            while (_order.First is { } first && (first.Value.Expires <= now || _entries.Count >= Capacity))
            {
                _entries.Remove(first.Value.Instance);
                _order.RemoveFirst();
            }

            _entries[instance] = _order.AddLast(new Entry(instance, value, now + Lifetime));
        }
    }

    // A struct: held inside its list node, one object less per remembered message for the GC to move.
    private readonly record struct Entry(string Instance, TValue Value, DateTimeOffset Expires);
}
