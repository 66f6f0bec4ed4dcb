using System.Globalization;
using System.Net;

namespace Mailseal.Dns;

/// <summary>
/// Settings of <see cref="StubResolver"/>. Every wait and every table has a bound here.
/// </summary>
public sealed class StubResolverOptions
{
    /// <summary>Most nameservers read from resolv.conf (glibc's MAXNS is 3; we allow a few more).</summary>
    public const int MaxServers = 8;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);
    private const int DefaultAttempts = 2;

    private static readonly Lazy<IReadOnlyList<IPEndPoint>> SystemServers = new(DefaultServers);

    /// <summary>The recursive servers to ask, in order. Defaults to /etc/resolv.conf's nameservers on port 53, or 127.0.0.1 if it names none.</summary>
    /// <remarks>/etc/resolv.conf is read when the default is first needed, not when servers are given.</remarks>
    public IReadOnlyList<IPEndPoint> Servers
    {
        get => field ??= SystemServers.Value;
        init;
    }

    /// <summary>How long to wait for one answer from one server (one try). Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>How many rounds over all servers before the query times out. Default 2.</summary>
    public int Attempts { get; init; } = DefaultAttempts;

    /// <summary>The UDP payload size announced in the EDNS0 OPT record (RFC 6891). Default 4096; 0 sends no OPT record (512-byte answers).</summary>
    public ushort EdnsBufferSize { get; init; } = 4096;

    /// <summary>Most answers kept in the cache (positive and negative); the least recently used go first. 0 disables the cache. Default 10000.</summary>
    public int CacheMaxEntries { get; init; } = 10000;

    /// <summary>Longest time a positive answer is cached, whatever its TTL says (stops a hostile TTL pinning an entry). Default 1 day.</summary>
    public TimeSpan CacheMaxTtl { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Longest time an NXDOMAIN or NODATA answer is cached (RFC 2308 suggests at most 3 hours). Default 3 hours.</summary>
    public TimeSpan NegativeCacheMaxTtl { get; init; } = TimeSpan.FromHours(3);

    /// <summary>How many CNAME links one query follows, across re-queries, before it answers SERVFAIL. Default 8.</summary>
    public int MaxCnameChain { get; init; } = 8;

    /// <summary>
    /// Most queries on the network at once (each holds a socket); more wait their turn. Identical
    /// queries in flight at the same time share one network query. Default 256.
    /// </summary>
    public int MaxConcurrentQueries { get; init; } = 256;

    /// <summary>Largest answer accepted over TCP, in bytes. Default 65535 (the protocol's own limit).</summary>
    public int MaxTcpMessageSize { get; init; } = 65535;

    /// <summary>Reads nameservers and <c>options timeout:N attempts:N</c> from a resolv.conf file; a missing file gives 127.0.0.1.</summary>
    /// <param name="path">The file to read.</param>
    public static StubResolverOptions FromResolvConf(string path = "/etc/resolv.conf")
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException)
        {
            text = string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            text = string.Empty;
        }

        return ParseResolvConf(text);
    }

    /// <summary>Parses resolv.conf text (see <see cref="FromResolvConf"/>); unknown lines are ignored.</summary>
    public static StubResolverOptions ParseResolvConf(string text)
    {
        (List<IPEndPoint> servers, TimeSpan? timeout, int? attempts) = Parse(text);
        return new StubResolverOptions
        {
            Servers = servers,
            Timeout = timeout ?? DefaultTimeout,
            Attempts = attempts ?? DefaultAttempts,
        };
    }

    private static (List<IPEndPoint> Servers, TimeSpan? Timeout, int? Attempts) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var servers = new List<IPEndPoint>();
        TimeSpan? timeout = null;
        int? attempts = null;
        foreach (string rawLine in text.Split('\n'))
        {
            string line = rawLine;
            int comment = line.IndexOfAny(['#', ';']);
            if (comment >= 0)
            {
                line = line[..comment];
            }

            string[] words = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2)
            {
                continue;
            }

            if (words[0] == "nameserver" && servers.Count < MaxServers)
            {
                string address = words[1];
                int scope = address.IndexOf('%', StringComparison.Ordinal);
                if (IPAddress.TryParse(address, out IPAddress? ip))
                {
                    servers.Add(new IPEndPoint(ip, 53));
                }
                else if (scope > 0 && IPAddress.TryParse(address[..scope], out ip))
                {
                    servers.Add(new IPEndPoint(ip, 53));
                }
            }
            else if (words[0] == "options")
            {
                foreach (string option in words.Skip(1))
                {
                    if (option.StartsWith("timeout:", StringComparison.Ordinal) &&
                        int.TryParse(option.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
                    {
                        // glibc caps timeout at 30 s and treats 0 as 1.
                        timeout = TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 30));
                    }
                    else if (option.StartsWith("attempts:", StringComparison.Ordinal) &&
                        int.TryParse(option.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out int tries))
                    {
                        // glibc caps attempts at 5.
                        attempts = Math.Clamp(tries, 1, 5);
                    }
                }
            }
        }

        if (servers.Count == 0)
        {
            servers.Add(new IPEndPoint(IPAddress.Loopback, 53));
        }

        return (servers, timeout, attempts);
    }

    private static IReadOnlyList<IPEndPoint> DefaultServers()
    {
        string text;
        try
        {
            text = File.ReadAllText("/etc/resolv.conf");
        }
        catch (IOException)
        {
            return [new IPEndPoint(IPAddress.Loopback, 53)];
        }
        catch (UnauthorizedAccessException)
        {
            return [new IPEndPoint(IPAddress.Loopback, 53)];
        }

        return Parse(text).Servers;
    }
}
