using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Mailseal.Dns;

/// <summary>
/// A stub resolver: asks the configured recursive servers over UDP (EDNS0), retries over TCP
/// when an answer is truncated, tries each server in turn for <see cref="StubResolverOptions.Attempts"/>
/// rounds, follows CNAME chains and caches answers for their TTL in a bounded cache.
/// </summary>
/// <remarks>
/// Spoofing defences: every query uses a fresh random 16-bit id (from a CSPRNG) and a fresh UDP
/// socket on a kernel-chosen random source port, connected to the server so datagrams from other
/// addresses are dropped; an answer is taken only if its id and its question (name, type, class)
/// match the query, anything else is ignored and the wait goes on.
/// NXDOMAIN, NODATA, SERVFAIL, REFUSED and timeout stay distinct; a timeout is never reported as "no record".
/// Negative answers are cached for the SOA's negative TTL (RFC 2308), bounded by
/// <see cref="StubResolverOptions.NegativeCacheMaxTtl"/>; failures are not cached. An answer
/// served from the cache is the same object as when it was fetched: its records' <see cref="DnsRecord.Ttl"/>
/// are the values the server sent, not the time left.
/// <para>
/// Why this resolver is ours and not DnsClient (1.8.0, last commit 2024-07), which the registry
/// serves and the end-to-end tests use as an independent oracle: DnsClient draws query ids from
/// <c>Random.Shared</c> (not a cryptographic generator), sends from unconnected UDP sockets (a
/// datagram from any address is read), does not check that an answer's question is the one
/// asked, keeps an unbounded cache, caches negative answers for a fixed 5 s instead of the SOA's
/// negative TTL, and does not share identical concurrent queries. spfd's answers decide whether
/// mail is accepted, so each of those is a spoofing or memory risk in production.
/// </para>
/// </remarks>
public sealed class StubResolver : IDnsResolver, IDisposable
{
    private const int MaxUdpMessage = 65535;

    private readonly StubResolverOptions _options;
    private readonly DnsCache _cache;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Dictionary<(string Name, DnsRecordType Type), Task<DnsAnswer>> _inFlight = [];
    private readonly Lock _inFlightGate = new();
    private bool _disposed;

    /// <summary>Creates a resolver.</summary>
    /// <param name="options">Servers, timeouts and limits.</param>
    public StubResolver(StubResolverOptions options)
        : this(options, TimeProvider.System)
    {
    }

    internal StubResolver(StubResolverOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Servers.Count == 0)
        {
            throw new ArgumentException("At least one nameserver is needed.", nameof(options));
        }

        if (options.Attempts < 1 || options.Timeout <= TimeSpan.Zero || options.MaxCnameChain < 0 || options.MaxConcurrentQueries < 1)
        {
            throw new ArgumentException("Attempts, Timeout and MaxConcurrentQueries must be positive.", nameof(options));
        }

        _slots = new SemaphoreSlim(options.MaxConcurrentQueries, options.MaxConcurrentQueries);
        _options = options;
        _time = time;
        _cache = new DnsCache(options.CacheMaxEntries, time);
    }

    /// <summary>Entries now in the cache (for tests and statistics).</summary>
    public int CacheCount => _cache.Count;

    /// <inheritdoc/>
    public async Task<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!DnsName.IsValidQueryName(name))
        {
            return new DnsAnswer(DnsStatus.FormatError);
        }

        if (_cache.TryGet(name, type, out DnsAnswer cached))
        {
            return cached;
        }

        // Callers asking the same question at the same time share one network query. The shared
        // query runs on the resolver's own lifetime (it ends within Timeout x Attempts x servers);
        // each caller stops waiting when its own token fires.
        var key = (DnsName.Key(name), type);
        TaskCompletionSource<DnsAnswer>? owner = null;
        Task<DnsAnswer>? shared;
        lock (_inFlightGate)
        {
            if (!_inFlight.TryGetValue(key, out shared))
            {
                owner = new TaskCompletionSource<DnsAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
                shared = owner.Task;
                _inFlight.Add(key, shared);
            }
        }

        if (owner is not null)
        {
            _ = RunSharedAsync(owner, key, name, type);
        }

        return await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunSharedAsync(TaskCompletionSource<DnsAnswer> owner, (string Name, DnsRecordType Type) key, string name, DnsRecordType type)
    {
        try
        {
            DnsAnswer answer = await ResolveAsync(name, type, _lifetime.Token).ConfigureAwait(false);
            Forget(key);
            owner.SetResult(answer);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Only the resolver's disposal cancels a shared query.
            Forget(key);
            owner.SetCanceled();
        }
        catch (Exception ex)
        {
            // Anything unexpected goes to every waiting caller; the key must never stay stuck.
            Forget(key);
            owner.SetException(ex);
        }
    }

    private void Forget((string Name, DnsRecordType Type) key)
    {
        lock (_inFlightGate)
        {
            _inFlight.Remove(key);
        }
    }

    private async Task<DnsAnswer> ResolveAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        string current = DnsName.Normalize(name);
        string? canonical = null;
        int links = 0;
        uint minTtl = uint.MaxValue;
        var seen = new HashSet<string>(StringComparer.Ordinal) { DnsName.Key(current) };
        while (true)
        {
            (DnsMessage? message, DnsStatus failure) = await ExchangeAsync(current, type, cancellationToken).ConfigureAwait(false);
            if (message is null)
            {
                return new DnsAnswer(failure, null, canonical);
            }

            // Walk the CNAME chain inside the answer section.
            List<DnsRecord> found;
            bool advanced = false;
            while (true)
            {
                string at = current;
                found = message.Answers.Where(r => r.Type == type && DnsName.AreEqual(r.Name, at)).ToList();
                if (found.Count > 0 || type == DnsRecordType.Cname)
                {
                    break;
                }

                DnsRecord? alias = message.Answers.FirstOrDefault(r => r.Type == DnsRecordType.Cname && DnsName.AreEqual(r.Name, at));
                if (alias?.Target is null)
                {
                    break;
                }

                if (++links > _options.MaxCnameChain || !seen.Add(DnsName.Key(alias.Target)))
                {
                    return new DnsAnswer(DnsStatus.ServFail, null, alias.Target);
                }

                minTtl = Math.Min(minTtl, alias.Ttl);
                current = alias.Target;
                canonical = current;
                advanced = true;
            }

            if (found.Count > 0)
            {
                minTtl = found.Aggregate(minTtl, (ttl, r) => Math.Min(ttl, r.Ttl));
                var answer = new DnsAnswer(DnsStatus.Ok, found, canonical);
                _cache.Set(name, type, answer, Cap(minTtl, _options.CacheMaxTtl));
                return answer;
            }

            if (message.ResponseCode == 0 && advanced &&
                !message.Answers.Any(r => r.Type == type) && message.Authority.All(r => r.Type != DnsRecordType.Soa))
            {
                // The server gave the alias but not what it points to: ask for the target.
                continue;
            }

            DnsStatus status = message.ResponseCode == 3 ? DnsStatus.NxDomain : DnsStatus.NoData;
            var negative = new DnsAnswer(status, null, canonical);
            DnsRecord? soa = message.Authority.FirstOrDefault(r => r.Type == DnsRecordType.Soa);
            if (soa is not null)
            {
                _cache.Set(name, type, negative, Cap(Math.Min(Math.Min(soa.Ttl, soa.SoaMinimum), minTtl), _options.NegativeCacheMaxTtl));
            }

            return negative;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _lifetime.Cancel();
        _lifetime.Dispose();
        _slots.Dispose();
    }

    private static TimeSpan Cap(uint ttl, TimeSpan max)
    {
        TimeSpan span = TimeSpan.FromSeconds(ttl == uint.MaxValue ? 0 : ttl);
        return span > max ? max : span;
    }

    /// <summary>Asks the servers until one gives a usable answer (NOERROR or NXDOMAIN).</summary>
    private async Task<(DnsMessage? Message, DnsStatus Failure)> ExchangeAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ExchangeOnceAsync(name, type, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<(DnsMessage? Message, DnsStatus Failure)> ExchangeOnceAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        DnsStatus failure = DnsStatus.Timeout;
        bool sawTimeout = false;
        for (int attempt = 0; attempt < _options.Attempts; attempt++)
        {
            foreach (IPEndPoint server in _options.Servers)
            {
                ushort edns = _options.EdnsBufferSize;
                Reply reply = await UdpAsync(server, name, type, edns, cancellationToken).ConfigureAwait(false);
                if (reply.Message is { ResponseCode: 1 } && edns != 0)
                {
                    // RFC 6891 section 7: a server that does not know EDNS answers FORMERR; ask again plainly.
                    edns = 0;
                    reply = await UdpAsync(server, name, type, edns, cancellationToken).ConfigureAwait(false);
                }

                if (reply.Message is { IsTruncated: true })
                {
                    reply = await TcpAsync(server, name, type, edns, cancellationToken).ConfigureAwait(false);
                }

                if (reply.Message is { } message)
                {
                    switch (message.ResponseCode)
                    {
                        case 0 or 3:
                            return (message, DnsStatus.Ok);
                        case 1:
                            failure = DnsStatus.FormatError;
                            break;
                        case 5:
                            failure = DnsStatus.Refused;
                            break;
                        default:
                            failure = DnsStatus.ServFail;
                            break;
                    }
                }
                else if (reply.Malformed)
                {
                    failure = DnsStatus.FormatError;
                }
                else
                {
                    sawTimeout = true;
                }
            }
        }

        // A server that answered with a failure says more than one that said nothing.
        return (null, failure == DnsStatus.Timeout && sawTimeout ? DnsStatus.Timeout : failure);
    }

    private async Task<Reply> UdpAsync(IPEndPoint server, string name, DnsRecordType type, ushort edns, CancellationToken cancellationToken)
    {
        ushort id = QueryIds.Next();
        byte[] query = DnsMessage.BuildQuery(id, name, type, edns);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxUdpMessage);
        try
        {
            // Port 0: the kernel picks a random ephemeral source port for every query.
            socket.Bind(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            await socket.ConnectAsync(server, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(query, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            while (true)
            {
                int received;
                try
                {
                    received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    // ICMP port unreachable: nobody listens there. Count it as no answer from this server.
                    return default;
                }

                Reply reply = Accept(buffer.AsSpan(0, received), id, name, type);
                if (reply.Message is not null || reply.Malformed)
                {
                    return reply;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return default;
        }
        catch (SocketException)
        {
            return default;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<Reply> TcpAsync(IPEndPoint server, string name, DnsRecordType type, ushort edns, CancellationToken cancellationToken)
    {
        ushort id = QueryIds.Next();
        byte[] query = DnsMessage.BuildQuery(id, name, type, edns);
        byte[] framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            await socket.ConnectAsync(server, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(framed, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            byte[] lengthBytes = new byte[2];
            if (!await ReadExactlyAsync(socket, lengthBytes, timeout.Token).ConfigureAwait(false))
            {
                return default;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(lengthBytes);
            if (length > _options.MaxTcpMessageSize)
            {
                return new Reply(null, true);
            }

            byte[] body = new byte[length];
            if (!await ReadExactlyAsync(socket, body, timeout.Token).ConfigureAwait(false))
            {
                return default;
            }

            Reply reply = Accept(body, id, name, type);
            return reply.Message is null && !reply.Malformed ? new Reply(null, true) : reply;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return default;
        }
        catch (SocketException)
        {
            return default;
        }
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>Takes a datagram only if it answers our query; a foreign one is ignored (no message, not malformed).</summary>
    private static Reply Accept(ReadOnlySpan<byte> datagram, ushort id, string name, DnsRecordType type)
    {
        if (datagram.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(datagram) != id)
        {
            return default;
        }

        DnsMessage message;
        try
        {
            message = DnsMessage.Parse(datagram);
        }
        catch (DnsFormatException)
        {
            // Right id but unreadable: a broken server (or a spoofer that guessed the id); do not wait for more.
            return new Reply(null, true);
        }

        if (!message.IsResponse || message.QuestionType != (ushort)type || message.QuestionClass != 1 ||
            !DnsName.AreEqual(message.QuestionName, name))
        {
            return default;
        }

        return new Reply(message, false);
    }

    private readonly record struct Reply(DnsMessage? Message, bool Malformed);
}
