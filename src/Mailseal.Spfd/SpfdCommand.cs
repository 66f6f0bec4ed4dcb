using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Logging;
using Mailseal.Dns;
using Mailseal.Policy;
using Serilog;
using Serilog.Events;

namespace Mailseal.Spfd;

/// <summary>
/// The command line of mailseal-spfd: one definition per option (each is also a name in the
/// <c>[spfd]</c> section of mailseal.conf, and most are policyd-spf.conf names), and the action
/// that runs the policy server in spawn or daemon mode.
/// </summary>
internal static class SpfdCommand
{
    public static readonly Option<string[]> Listen = new("--listen")
    {
        Description = "Run as a daemon listening on inet:HOST:PORT or unix:PATH (repeatable). Without it, serve one connection on stdin/stdout as spawn(8) runs it.",
        HelpName = "ENDPOINT",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string> DebugLevel = Text("--debug-level", "N", "1", "policyd-spf debugLevel: -1 nothing, 0 errors, 1 results, 2+ details of each check.");
    public static readonly Option<string> TestOnly = Text("--test-only", "0|1", "1", "policyd-spf TestOnly, same (inverted) meaning: 1 acts on results, 0 only adds headers and never rejects or defers.");
    public static readonly Option<string> HeloReject = Text("--helo-reject", "POLICY", "Fail", "HELO result that rejects: Fail, SPF_Not_Pass, Softfail, Null (fail only for the null sender), False (header only), No_Check.");
    public static readonly Option<string> MailFromReject = Text("--mail-from-reject", "POLICY", "Fail", "MAIL FROM result that rejects: Fail, SPF_Not_Pass, Softfail, False (header only), No_Check.");
    public static readonly Option<string> PermErrorReject = Text("--permerror-reject", "BOOL", "False", "Reject on permerror (550 5.7.24).");
    public static readonly Option<string> TempErrorDefer = Text("--temperror-defer", "BOOL", "False", "Defer on temperror (DEFER_IF_PERMIT 4.7.24).");
    public static readonly Option<string> SkipAddresses = Text("--skip-addresses", "CIDRS", "127.0.0.0/8,::ffff:127.0.0.0/104,::1", "Clients never checked (local submission); an X-Comment header says so.");
    public static readonly Option<string> Whitelist = Text("--whitelist", "CIDRS", string.Empty, "Trusted relays never checked.");
    public static readonly Option<string> HeloWhitelist = Text("--helo-whitelist", "NAMES", string.Empty, "HELO names never checked, when the name's A/AAAA records hold the client address.");
    public static readonly Option<string> DomainWhitelist = Text("--domain-whitelist", "DOMAINS", string.Empty, "Clients that pass these domains' SPF records are not checked (trusted forwarders).");
    public static readonly Option<string> DomainWhitelistPtr = Text("--domain-whitelist-ptr", "DOMAINS", string.Empty, "Clients whose forward-confirmed PTR name is in or under these domains are not checked.");
    public static readonly Option<string> RejectNotPassDomains = Text("--reject-not-pass-domains", "DOMAINS", string.Empty, "For these domains (and subdomains) softfail and neutral reject too (SPF_Not_Pass).");
    public static readonly Option<string> HeaderTypeOption = Text("--header-type", "TYPE", "SPF", "SPF (Received-SPF), AR (Authentication-Results) or None.");
    public static readonly Option<string> AuthservId = Text("--authserv-id", "NAME", "HOSTNAME", "authserv-id of Authentication-Results; HOSTNAME means this host's name.");
    public static readonly Option<string> HideReceiver = Text("--hide-receiver", "BOOL", "No", "Write <UNKNOWN> instead of the recipient's domain in headers and replies.");
    public static readonly Option<string> LookupTime = Text("--lookup-time", "SECONDS", "20", "Most time one SPF check (HELO or MAIL FROM) may take; past it the result is temperror.");
    public static readonly Option<string> WhitelistLookupTime = Text("--whitelist-lookup-time", "SECONDS", "10", "Most time each whitelist lookup may take.");
    public static readonly Option<string> VoidLimit = Text("--void-limit", "N", "2", "Void DNS lookups allowed in one check before permerror (RFC 7208 4.6.4).");
    public static readonly Option<string> ReasonMessage = Text("--reason-message", "TEXT", SpfdSettings.DefaultReasonMessage, "Text of a reject or defer; {rejectdefer}, {spf} and {url} are filled in.");
    public static readonly Option<string> Prospective = Text("--prospective", "ADDRESS", string.Empty, "Check this address instead of the client (outbound MTA); no header is added.");
    public static readonly Option<string> EnhancedStatusCodes = Text("--spf-enhanced-status-codes", "BOOL", "Yes", "Use RFC 7372 codes (5.7.23 fail, 5.7.24 error, 4.7.24 defer) instead of a bare 550.");
    public static readonly Option<string> DnsServers = Text("--dns-servers", "ADDRESSES", string.Empty, "Recursive DNS servers, IP or IP:PORT ([IPv6]:PORT), comma separated; empty means /etc/resolv.conf.");
    public static readonly Option<string> InstanceCacheSize = Text("--instance-cache-size", "N", "10000", "Messages whose decision is remembered, so each message is checked once and gets one header.");
    public static readonly PolicyServerLimits Limits = new("Most connections served at once (daemon mode); more are closed at once.");
    public static readonly Option<string> InstanceCacheLifetime = Text("--instance-cache-lifetime", "SECONDS", "3600", "How long one message's decision is remembered.");

    public static IReadOnlyList<Option> All { get; } =
    [
        Listen, DebugLevel, TestOnly, HeloReject, MailFromReject, PermErrorReject, TempErrorDefer, SkipAddresses,
        Whitelist, HeloWhitelist, DomainWhitelist, DomainWhitelistPtr, RejectNotPassDomains, HeaderTypeOption,
        AuthservId, HideReceiver, LookupTime, WhitelistLookupTime, VoidLimit, ReasonMessage, Prospective,
        EnhancedStatusCodes, DnsServers, InstanceCacheSize, InstanceCacheLifetime, .. Limits.All,
    ];

    /// <summary>Builds the root command; <paramref name="context"/> gives the streams; <paramref name="processStdin"/> says the streams are the process's own (spawn mode reads stdin until the client closes it).</summary>
    public static ToolRootCommand Create(ToolContext context, Option<string> syslogSocket, bool processStdin)
    {
        // A ToolRootCommand, not a RootCommand: spawn(8) starts one process per connection, and
        // RootCommand's constructor costs reflection and resource loading at every start.
        var root = new ToolRootCommand(SpfdProgram.ToolName, "an SPF policy server for Postfix's check_policy_service, compatible with policyd-spf.conf.");
        foreach (var option in All)
            root.Options.Add(option);
        root.Options.Add(syslogSocket);
        root.SetAction((parse, ct) => RunAsync(parse, context, syslogSocket, processStdin, ct));
        return root;
    }

    /// <summary>The typed settings from the parsed options; throws <see cref="FormatException"/> for a bad value.</summary>
    public static SpfdSettings ReadSettings(ParseResult p) => AsConfigurationError(() => ReadSettingsUnchecked(p));

    /// <summary>Runs <paramref name="read"/>, reporting a bad value as the configuration error it is.</summary>
    private static T AsConfigurationError<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (FormatException e)
        {
            throw new Mailseal.Core.Configuration.ConfigurationException(e.Message, e);
        }
    }

    private static SpfdSettings ReadSettingsUnchecked(ParseResult p)
    {
        var prospective = p.GetValue(Prospective) ?? string.Empty;
        IPAddress? prospectiveIp = null;
        if (prospective.Trim().Length > 0 && !IPAddress.TryParse(prospective.Trim(), out prospectiveIp))
            throw new FormatException($"prospective: '{prospective}' is not an IP address");
        return new SpfdSettings
        {
            DebugLevel = SpfdSettings.ParseInt(Get(p, DebugLevel), "debug_level", -1, 5),
            ActOnResults = SpfdSettings.ParseInt(Get(p, TestOnly), "test_only", 0, 1) == 1,
            HeloReject = SpfdSettings.ParseRejectPolicy(Get(p, HeloReject), "helo_reject"),
            MailFromReject = SpfdSettings.ParseRejectPolicy(Get(p, MailFromReject), "mail_from_reject") is var m && m == RejectPolicy.Null
                ? throw new FormatException("mail_from_reject: Null applies to HELO only")
                : m,
            PermErrorReject = SpfdSettings.ParseBool(Get(p, PermErrorReject), "permerror_reject"),
            TempErrorDefer = SpfdSettings.ParseBool(Get(p, TempErrorDefer), "temperror_defer"),
            SkipAddresses = SpfdSettings.ParseList(Get(p, SkipAddresses)),
            Whitelist = SpfdSettings.ParseList(Get(p, Whitelist)),
            HeloWhitelist = SpfdSettings.ParseList(Get(p, HeloWhitelist)),
            DomainWhitelist = SpfdSettings.ParseList(Get(p, DomainWhitelist)),
            DomainWhitelistPtr = SpfdSettings.ParseList(Get(p, DomainWhitelistPtr)),
            RejectNotPassDomains = SpfdSettings.ParseList(Get(p, RejectNotPassDomains)),
            HeaderType = SpfdSettings.ParseHeaderType(Get(p, HeaderTypeOption)),
            AuthservId = Get(p, AuthservId).Trim(),
            HideReceiver = SpfdSettings.ParseBool(Get(p, HideReceiver), "hide_receiver"),
            LookupTime = TimeSpan.FromSeconds(SpfdSettings.ParseInt(Get(p, LookupTime), "lookup_time", 1, 3600)),
            WhitelistLookupTime = TimeSpan.FromSeconds(SpfdSettings.ParseInt(Get(p, WhitelistLookupTime), "whitelist_lookup_time", 1, 3600)),
            VoidLimit = SpfdSettings.ParseInt(Get(p, VoidLimit), "void_limit", 0, 100),
            ReasonMessage = Get(p, ReasonMessage),
            Prospective = prospectiveIp,
            EnhancedStatusCodes = SpfdSettings.ParseBool(Get(p, EnhancedStatusCodes), "spf_enhanced_status_codes"),
            InstanceCacheSize = SpfdSettings.ParseInt(Get(p, InstanceCacheSize), "instance_cache_size", 1, 10_000_000),
            InstanceCacheLifetime = TimeSpan.FromSeconds(SpfdSettings.ParseInt(Get(p, InstanceCacheLifetime), "instance_cache_lifetime", 1, 86400)),
        };
    }

    /// <summary>The policy server limits from the parsed options.</summary>
    public static PolicyServerOptions ReadServerOptions(ParseResult p) => AsConfigurationError(() => ReadServerOptionsUnchecked(p));

    private static PolicyServerOptions ReadServerOptionsUnchecked(ParseResult p)
    {
        var settings = ReadSettings(p);

        // A decision may take a HELO and a MAIL FROM check plus the whitelist lookups.
        var handler = (2 * settings.LookupTime) + (4 * settings.WhitelistLookupTime) + TimeSpan.FromSeconds(5);
        return Limits.Read(p, handler);
    }

    /// <summary>Parses <c>--dns-servers</c>: IP, IP:PORT or [IPv6]:PORT, comma separated.</summary>
    public static IReadOnlyList<IPEndPoint> ParseDnsServers(string text)
    {
        var list = new List<IPEndPoint>();
        foreach (var item in SpfdSettings.ParseList(text))
        {
            if (IPAddress.TryParse(item, out var bare))
                list.Add(new IPEndPoint(bare, 53));
            else if (IPEndPoint.TryParse(item, out var withPort) && withPort.Port != 0)
                list.Add(withPort);
            else
                throw new FormatException($"dns_servers: '{item}' is not IP, IP:PORT or [IPv6]:PORT");
        }

        return list;
    }

    private static async Task<int> RunAsync(ParseResult p, ToolContext context, Option<string> syslogSocket, bool processStdin, CancellationToken cancellationToken)
    {
        var settings = ReadSettings(p);
        var serverOptions = ReadServerOptions(p);
        IReadOnlyList<IPEndPoint> dnsServers;
        List<PolicyEndpoint> listen;
        try
        {
            dnsServers = ParseDnsServers(Get(p, DnsServers));
            listen = (p.GetValue(Listen) ?? []).Select(PolicyEndpoint.Parse).ToList();
        }
        catch (FormatException e)
        {
            throw new Mailseal.Core.Configuration.ConfigurationException(e.Message, e);
        }

        var spawn = listen.Count == 0;
        if (!spawn)
            PolicyServer.PreferInlineSocketCompletions();

        using var logger = MailsealLogging.Create(new LoggingOptions
        {
            ToolName = SpfdProgram.ToolName,
            Mode = spawn ? LogMode.Spawn : LogMode.Daemon,
            SyslogSocket = p.GetValue(syslogSocket) ?? "/dev/log",
            Stderr = context.Error,
            MinimumLevel = settings.DebugLevel switch
            {
                < 0 => LogEventLevel.Fatal,
                0 => LogEventLevel.Warning,
                1 => LogEventLevel.Information,
                < 4 => LogEventLevel.Debug,
                _ => LogEventLevel.Verbose,
            },
        });

        var resolverOptions = dnsServers.Count > 0
            ? new StubResolverOptions { Servers = dnsServers }
            : StubResolverOptions.FromResolvConf();
        using var resolver = new StubResolver(resolverOptions);
        var handler = new SpfPolicyHandler(settings, resolver, logger);
        await using var server = new PolicyServer(handler, serverOptions, logger);

        if (spawn)
        {
            await ServeSpawnAsync(server, context, logger, processStdin, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        server.Listen(listen);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        logger.Information("mailseal-spfd started, {Count} endpoint(s)", listen.Count);
        await server.RunAsync(stop.Token).ConfigureAwait(false);
        logger.Information("mailseal-spfd stopped after {Requests} requests", server.RequestsServed);
        return ExitCodes.Ok;
    }

    private static async Task ServeSpawnAsync(PolicyServer server, ToolContext context, ILogger logger, bool processStdin, CancellationToken cancellationToken)
    {
        // spawn(8) hands us the connection as fd 0 and 1. When fd 0 is a socket, read it as one
        // (asynchronous, cancellable); otherwise (a pipe, a terminal) use the console streams.
        using var socket = processStdin ? TryStdinSocket() : null;
        if (socket is not null)
        {
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await server.ServeConnectionAsync(stream, stream, "spawn", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await server.ServeConnectionAsync(context.Input, context.Output, "stdin", cancellationToken).ConfigureAwait(false);
        }

        logger.Debug("spawn connection done, {Requests} requests", server.RequestsServed);
    }

    private static Socket? TryStdinSocket()
    {
#pragma warning disable CA2000 // ownership goes to the caller; fd 0 itself is never closed here
        var handle = new SafeSocketHandle(0, ownsHandle: false);
        Socket? socket = null;
        try
        {
            socket = new Socket(handle);
            if (socket.Connected && socket.SocketType == SocketType.Stream)
                return socket;
        }
        catch (Exception e) when (e is SocketException or ArgumentException or NotSupportedException)
        {
            // Not a socket: fall through to the console streams.
        }

        socket?.Dispose();
        handle.Dispose();
        return null;
#pragma warning restore CA2000
    }

    private static string Get(ParseResult p, Option<string> option) => PolicyCommandOptions.Get(p, option);

    private static Option<string> Text(string name, string helpName, string defaultValue, string description) => PolicyCommandOptions.Text(name, helpName, defaultValue, description);
}
