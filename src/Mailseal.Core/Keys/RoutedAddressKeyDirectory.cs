using System.Text;

namespace Mailseal.Core.Keys;

/// <summary>
/// Looks an address up as Postfix may deliver it, not only as it is written. Postfix's
/// resolver (trivial-rewrite, resolve.c) strips every domain that is its own in the
/// <c>mydestination</c> sense (<c>localhost</c>, <c>$myhostname</c>, an address literal of one of
/// its interfaces such as <c>[127.0.0.1]</c>) and then reads the local part again: with its
/// defaults <c>bob@example.org@localhost</c>, <c>"bob@example.org"@localhost</c>,
/// <c>bob%example.org@localhost</c> (allow_percent_hack) and <c>example.org!bob@localhost</c>
/// (swap_bangpath) are all delivered to the mailbox of <c>bob@example.org</c>. The content filter
/// sees the address as queued, before that resolution; read by its last domain it is "not
/// local", and was passed on in plaintext, and Postfix then stored it in bob's mailbox.
/// <para>
/// The filter does not know which domains are Postfix's own, so when an address is not local
/// as written, every address a routing operator in its local part can lead to
/// (<see cref="RouteTargets"/>) is looked up as well; the first that is local (or has a key)
/// decides: the message is encrypted to that key, or deferred when it has none. An address
/// whose routed reading is local, but which Postfix relays elsewhere (its last domain is not
/// Postfix's own), is then encrypted too: never plaintext, at worst ciphertext for a reader
/// who cannot open it, which such an address (a local user's name behind a remote domain) does
/// not deserve better.
/// </para>
/// </summary>
public sealed class RoutedAddressKeyDirectory : IKeyDirectory, IDisposable, IAsyncDisposable
{
    /// <summary>Most addresses one recipient is read as, besides itself: routing operators nest, the work does not.</summary>
    public const int MaxRouteTargets = 16;

    private readonly IKeyDirectory _inner;

    /// <summary>Wraps <paramref name="inner"/>; disposing this disposes it.</summary>
    public RoutedAddressKeyDirectory(IKeyDirectory inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <inheritdoc />
    public async Task<KeyLookupResult> LookupAsync(string address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        KeyLookupResult result = await _inner.LookupAsync(address, cancellationToken).ConfigureAwait(false);
        if (result.IsLocal || result.Found)
        {
            return result;
        }

        foreach (string target in RouteTargets(address))
        {
            KeyLookupResult routed = await _inner.LookupAsync(target, cancellationToken).ConfigureAwait(false);
            if (routed.IsLocal || routed.Found)
            {
                return routed;
            }
        }

        return result;
    }

    /// <summary>
    /// The addresses Postfix's resolver can turn <paramref name="address"/> into when the
    /// domains it strips are its own: a source route (<c>@a,@b:</c>) removed; then, repeatedly,
    /// the last <c>@domain</c> removed and the local part (unquoted, as resolve_dequoted does)
    /// read as <c>user@domain</c> (its last '@'), <c>domain!user</c> (its first '!',
    /// swap_bangpath) or <c>user%domain</c> (its last '%', allow_percent_hack). Every reading
    /// that applies is followed, so the list holds more than Postfix's one choice: a superset
    /// is safe (at worst a message is encrypted that need not be), a miss is not. Empty when
    /// the local part holds no routing operator. At most <see cref="MaxRouteTargets"/>.
    /// </summary>
    public static IReadOnlyList<string> RouteTargets(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        string a = address.Trim();
        if (a.Length >= 2 && a[0] == '<' && a[^1] == '>')
        {
            a = a[1..^1];
        }

        var targets = new List<string>();
        var pending = new Queue<string>();
        if (a.StartsWith('@') && a.IndexOf(':', StringComparison.Ordinal) is int colon and > 0 && colon < a.Length - 1)
        {
            a = a[(colon + 1)..];
            targets.Add(a);
        }

        pending.Enqueue(a);
        while (pending.Count > 0 && targets.Count < MaxRouteTargets)
        {
            string current = pending.Dequeue();
            int at = current.LastIndexOf('@');
            if (at <= 0)
            {
                continue;
            }

            string local = Unquote(current[..at]);
            foreach (string next in Readings(local))
            {
                if (targets.Count < MaxRouteTargets && !targets.Contains(next, StringComparer.Ordinal))
                {
                    targets.Add(next);
                    pending.Enqueue(next);
                }
            }
        }

        return targets;
    }

    /// <summary>The local part as an address of its own, each way a routing operator in it can be read.</summary>
    private static IEnumerable<string> Readings(string local)
    {
        int at = local.LastIndexOf('@');
        if (at > 0 && at < local.Length - 1)
        {
            yield return local;
        }

        int bang = local.IndexOf('!', StringComparison.Ordinal);
        if (bang > 0 && bang < local.Length - 1)
        {
            yield return local[(bang + 1)..] + "@" + local[..bang];
        }

        int percent = local.LastIndexOf('%');
        if (percent > 0 && percent < local.Length - 1)
        {
            yield return local[..percent] + "@" + local[(percent + 1)..];
        }
    }

    /// <summary>A local part that is one quoted string, unquoted (backslash escapes removed); any other returned as it is.</summary>
    internal static string Unquote(string local)
    {
        if (local.Length < 2 || local[0] != '"' || local[^1] != '"')
        {
            return local;
        }

        var sb = new StringBuilder(local.Length);
        for (int i = 1; i < local.Length - 1; i++)
        {
            char c = local[i];
            if (c == '\\' && i + 1 < local.Length - 1)
            {
                c = local[++i];
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_inner is IDisposable d)
        {
            d.Dispose();
        }
        else if (_inner is IAsyncDisposable ad)
        {
            ad.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (_inner is IAsyncDisposable ad)
        {
            return ad.DisposeAsync();
        }

        (_inner as IDisposable)?.Dispose();
        return ValueTask.CompletedTask;
    }
}
