using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Configuration;
using Mailseal.Core.Logging;
using Mailseal.Policy;
using Serilog;
using Serilog.Events;

namespace Mailseal.Greyd;

/// <summary>
/// The command line of mailseal-greyd: postgrey's option names and defaults (each also a name
/// in the <c>[greyd]</c> section of mailseal.conf), the store, the policy server's limits, and
/// the action that runs the daemon (or imports a postgrey database and exits).
/// </summary>
internal static class GreydCommand
{
    /// <summary>Where the embedded store lives unless <c>--store</c> or <c>--dbdir</c> says otherwise.</summary>
    public const string DefaultDatabaseDirectory = "/var/lib/mailseal";

    /// <summary>The SQLite file name inside the database directory.</summary>
    public const string DatabaseFileName = "greyd.sqlite";

    /// <summary>Debian's postgrey whitelist files, read when no --whitelist-clients is given (a missing one is skipped).</summary>
    public static readonly string[] DefaultClientWhitelists = ["/etc/postgrey/whitelist_clients", "/etc/postgrey/whitelist_clients.local"];

    /// <summary>Debian's postgrey recipient whitelist, read when no --whitelist-recipients is given.</summary>
    public static readonly string[] DefaultRecipientWhitelists = ["/etc/postgrey/whitelist_recipients"];

    public static readonly Option<string[]> Listen = new("--listen")
    {
        Description = "Listen on inet:HOST:PORT or unix:PATH (repeatable); postgrey's --inet=[HOST:]PORT and --unix=PATH are accepted too. Without it, serve one connection on stdin/stdout (spawn(8)).",
        HelpName = "ENDPOINT",
    };

    public static readonly Option<string> Store = Text("--store", "sqlite:PATH|postgresql:CONNSTRING", string.Empty, "Where the greylist lives: an SQLite file (default DBDIR/greyd.sqlite) or a PostgreSQL database shared by several MX hosts.");
    public static readonly Option<string> DbDir = Text("--dbdir", "DIR", DefaultDatabaseDirectory, "postgrey's --dbdir: the directory of the SQLite store when --store is not given.");
    public static readonly Option<string> Delay = Text("--delay", "SECONDS", "300", "How long a new triplet (client network, sender, recipient) is greylisted.");
    public static readonly Option<string> MaxAge = Text("--max-age", "DAYS", "35", "Forget triplets and whitelisted clients not seen for this many days.");
    public static readonly Option<string> RetryWindow = Text("--retry-window", "DAYS|HOURSh", "2", "Time allowed for the first retry (days, or hours with 'h', e.g. 6h); later it counts as new.");
    public static readonly Option<bool> LookupByHost = Switch("--lookup-by-host", "Use the whole client address in the triplet instead of its network (--lookup-by-subnet, the default, is accepted and ignored).");
    public static readonly Option<string> Ipv4Cidr = Text("--ipv4cidr", "BITS", "24", "Network prefix of an IPv4 client in the triplet (--lookup-by-subnet).");
    public static readonly Option<string> Ipv6Cidr = Text("--ipv6cidr", "BITS", "64", "Network prefix of an IPv6 client in the triplet.");
    public static readonly Option<string> AutoWhitelistClients = Text("--auto-whitelist-clients", "N", "5", "Whitelist a client after N deliveries that passed greylisting (one counted per interval); 0 = off.");
    public static readonly Option<string> AutoWhitelistInterval = Text("--auto-whitelist-interval", "SECONDS", "3600", "Only one delivery per client counts towards --auto-whitelist-clients in this time (postgrey: one hour).");
    public static readonly Option<string[]> WhitelistClients = new("--whitelist-clients")
    {
        Description = "postgrey client whitelist file (repeatable): host names, IPs, CIDR networks, /regexes/. Default: Debian's /etc/postgrey/whitelist_clients and whitelist_clients.local.",
        HelpName = "FILE",
        DefaultValueFactory = _ => DefaultClientWhitelists,
    };

    public static readonly Option<string[]> WhitelistRecipients = new("--whitelist-recipients")
    {
        Description = "postgrey recipient whitelist file (repeatable): domain, user@, user@domain, /regex/. Default: /etc/postgrey/whitelist_recipients.",
        HelpName = "FILE",
        DefaultValueFactory = _ => DefaultRecipientWhitelists,
    };

    public static readonly Option<string> GreylistAction = Text("--greylist-action", "ACTION", "DEFER_IF_PERMIT", "The access(5) action for a greylisted request.");
    public static readonly Option<string> GreylistText = Text("--greylist-text", "TEXT", GreydSettings.DefaultGreylistText, "The reply text; %s is the seconds left, %r the recipient's domain.");
    public static readonly Option<string> XGreylistHeader = Text("--x-greylist-header", "TEXT", GreydSettings.DefaultHeader, "Header added once per message that passed after waiting; %t seconds, %v version, %h host, %d date.");
    public static readonly Option<string> HostName = Text("--hostname", "NAME", string.Empty, "Host name in the header (default: this host's name).");
    public static readonly Option<bool> Privacy = Switch("--privacy", "Store SHA-1 hashes of triplets and client addresses instead of the addresses (postgrey's --privacy).");
    public static readonly Option<string> StoreTimeout = Text("--store-timeout", "MILLISECONDS", "1000", "Most time a request waits for the store; past it the store counts as unavailable.");
    public static readonly Option<string> StoreUnavailable = Text("--store-unavailable", "dunno|defer", "dunno", "Answer when the store is unavailable: dunno lets mail through (fail open), defer asks the client to retry.");
    public static readonly Option<string> SqliteSynchronous = Text("--sqlite-synchronous", "normal|full", "normal", "normal: a commit survives a crash of the daemon; full: also a power loss (an fsync per commit; concurrent requests share one).");
    public static readonly Option<string> ExpiryInterval = Text("--expiry-interval", "SECONDS", "3600", "How often expired triplets are deleted (PostgreSQL: one instance at a time).");
    public static readonly Option<string> ImportPostgrey = Text("--import-postgrey", "DIR", string.Empty, "Import postgrey's database from DIR (postgrey.db, postgrey_clients.db) with db_dump, then exit.");
    public static readonly Option<string> DbDump = Text("--db-dump", "PATH", "db_dump", "The Berkeley DB dump program (Debian package db-util).");
    public static readonly Option<string> Verbosity = Text("--verbosity", "0|1|2", "1", "0 problems only, 1 a line per decision (postgrey's default), 2 details; -v and -q are accepted.");
    public static readonly Option<string> InstanceCacheSize = Text("--instance-cache-size", "N", "10000", "Messages remembered so each gets one X-Greylist header.");
    public static readonly PolicyServerLimits Limits = new("Most connections served at once; more are closed at once.");

    public static IReadOnlyList<Option> All { get; } =
    [
        Listen, Store, DbDir, Delay, MaxAge, RetryWindow, LookupByHost, Ipv4Cidr, Ipv6Cidr, AutoWhitelistClients,
        AutoWhitelistInterval, WhitelistClients, WhitelistRecipients, GreylistAction, GreylistText, XGreylistHeader,
        HostName, Privacy, StoreTimeout, StoreUnavailable, SqliteSynchronous, ExpiryInterval, ImportPostgrey, DbDump,
        Verbosity, InstanceCacheSize, .. Limits.All,
    ];

    public static ToolRootCommand Create(ToolContext context, Option<string> syslogSocket)
    {
        // A ToolRootCommand, not a RootCommand: greyd runs in spawn(8) mode too, a process per connection.
        var root = new ToolRootCommand(GreydProgram.ToolName, "a greylisting policy server for Postfix's check_policy_service, compatible with postgrey's options and whitelists.");
        foreach (var option in All)
            root.Options.Add(option);
        root.Options.Add(syslogSocket);
        root.SetAction((parse, ct) => RunAsync(parse, context, syslogSocket, ct));
        return root;
    }

    /// <summary>The typed settings; throws <see cref="ConfigurationException"/> for a bad value.</summary>
    public static GreydSettings ReadSettings(ParseResult p)
    {
        try
        {
            var unavailable = Get(p, StoreUnavailable).Trim().ToUpperInvariant() switch
            {
                "DUNNO" => StoreFailureAction.Dunno,
                "DEFER" => StoreFailureAction.Defer,
                var v => throw new FormatException($"store_unavailable: '{v}' is not dunno or defer"),
            };
            return new GreydSettings
            {
                Parameters = new GreylistParameters
                {
                    Delay = GreydSettings.ParseLong(Get(p, Delay), "delay", 0, 30 * 86400),
                    MaxAge = GreydSettings.ParseLong(Get(p, MaxAge), "max_age", 1, 3650) * 86400,
                    RetryWindow = GreydSettings.ParseRetryWindow(Get(p, RetryWindow)),
                    AutoWhitelistClients = (int)GreydSettings.ParseLong(Get(p, AutoWhitelistClients), "auto_whitelist_clients", 0, 1_000_000),
                    AutoWhitelistInterval = GreydSettings.ParseLong(Get(p, AutoWhitelistInterval), "auto_whitelist_interval", 0, 30 * 86400),
                },
                LookupByHost = p.GetValue(LookupByHost),
                Ipv4Prefix = (int)GreydSettings.ParseLong(Get(p, Ipv4Cidr), "ipv4cidr", 0, 32),
                Ipv6Prefix = (int)GreydSettings.ParseLong(Get(p, Ipv6Cidr), "ipv6cidr", 0, 128),
                Privacy = p.GetValue(Privacy),
                GreylistAction = NonEmpty(Get(p, GreylistAction), "greylist_action"),
                GreylistText = Get(p, GreylistText),
                HeaderTemplate = NonEmpty(Get(p, XGreylistHeader), "x_greylist_header"),
                HostName = Get(p, HostName).Trim(),
                StoreTimeout = TimeSpan.FromMilliseconds(GreydSettings.ParseLong(Get(p, StoreTimeout), "store_timeout", 10, 600_000)),
                StoreUnavailable = unavailable,
                InstanceCacheSize = (int)GreydSettings.ParseLong(Get(p, InstanceCacheSize), "instance_cache_size", 1, 10_000_000),
                Verbosity = (int)GreydSettings.ParseLong(Get(p, Verbosity), "verbosity", 0, 2),
            };
        }
        catch (FormatException e)
        {
            throw new ConfigurationException(e.Message, e);
        }
    }

    /// <summary>The policy server's limits.</summary>
    public static PolicyServerOptions ReadServerOptions(ParseResult p, GreydSettings settings)
    {
        try
        {
            // The handler answers by itself once the store timeout passes; the server's bound is a backstop.
            return Limits.Read(p, settings.StoreTimeout + TimeSpan.FromSeconds(5));
        }
        catch (FormatException e)
        {
            throw new ConfigurationException(e.Message, e);
        }
    }

    /// <summary>Builds the store the options name (not yet initialised).</summary>
    public static IGreylistStore CreateStore(ParseResult p, GreydSettings settings)
    {
        var spec = Get(p, Store).Trim();
        if (spec.Length == 0)
            spec = "sqlite:" + Path.Combine(Get(p, DbDir), DatabaseFileName);
        var synchronous = Get(p, SqliteSynchronous).Trim().ToUpperInvariant() switch
        {
            "NORMAL" => false,
            "FULL" => true,
            var v => throw new ConfigurationException($"sqlite_synchronous: '{v}' is not normal or full"),
        };
        if (spec.StartsWith("sqlite:", StringComparison.Ordinal) && spec.Length > "sqlite:".Length)
            return new SqliteGreylistStore(spec["sqlite:".Length..], settings.Parameters, synchronous, settings.StoreTimeout);
        if (spec.StartsWith("postgresql:", StringComparison.Ordinal) && spec.Length > "postgresql:".Length)
        {
            try
            {
                return new PostgresGreylistStore(spec["postgresql:".Length..], settings.Parameters);
            }
            catch (ArgumentException e)
            {
                throw new ConfigurationException("store: bad PostgreSQL connection string: " + e.Message, e);
            }
        }

        throw new ConfigurationException($"store: '{spec}' is not sqlite:PATH or postgresql:CONNSTRING");
    }

    /// <summary>Loads the whitelist files; a file named explicitly must exist, a default one may be missing.</summary>
    public static (ClientWhitelist Clients, RecipientWhitelist Recipients) LoadWhitelists(ParseResult p, ILogger log)
    {
        var clients = new ClientWhitelist();
        var recipients = new RecipientWhitelist();
        var explicitClients = p.GetResult(WhitelistClients) is { Implicit: false };
        var explicitRecipients = p.GetResult(WhitelistRecipients) is { Implicit: false };
        foreach (var file in p.GetValue(WhitelistClients) ?? [])
        {
            if (ReadWhitelist(file, explicitClients) is { } text)
                clients.Load(file, text);
        }

        foreach (var file in p.GetValue(WhitelistRecipients) ?? [])
        {
            if (ReadWhitelist(file, explicitRecipients) is { } text)
                recipients.Load(file, text);
        }

        foreach (var warning in clients.Warnings.Concat(recipients.Warnings))
            log.Warning("{Warning}", warning);
        return (clients, recipients);
    }

    private static string? ReadWhitelist(string path, bool required)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            // postgrey does not warn about a missing default .local file either.
            return required ? throw new ConfigurationException($"{path}: no such whitelist file") : null;
        }

        if (info.Length > ClientWhitelist.MaxFileBytes)
            throw new ConfigurationException($"{path}: whitelist file larger than {ClientWhitelist.MaxFileBytes} bytes");
        return File.ReadAllText(path);
    }

    private static async Task<int> RunAsync(ParseResult p, ToolContext context, Option<string> syslogSocket, CancellationToken cancellationToken)
    {
        var settings = ReadSettings(p);
        var serverOptions = ReadServerOptions(p, settings);
        List<PolicyEndpoint> listen;
        try
        {
            listen = (p.GetValue(Listen) ?? []).Select(PolicyEndpoint.Parse).ToList();
        }
        catch (FormatException e)
        {
            throw new ConfigurationException(e.Message, e);
        }

        var importDirectory = Get(p, ImportPostgrey).Trim();
        var spawn = listen.Count == 0 && importDirectory.Length == 0;
        if (!spawn)
            PolicyServer.PreferInlineSocketCompletions();

        using var logger = MailsealLogging.Create(new LoggingOptions
        {
            ToolName = "mailseal-greyd",
            Mode = spawn ? LogMode.Spawn : LogMode.Daemon,
            SyslogSocket = p.GetValue(syslogSocket) ?? "/dev/log",
            Stderr = context.Error,
            MinimumLevel = settings.Verbosity switch
            {
                0 => LogEventLevel.Warning,
                1 => LogEventLevel.Information,
                _ => LogEventLevel.Debug,
            },
        });

        var (clients, recipients) = LoadWhitelists(p, logger);
        await using var store = CreateStore(p, settings);

        if (importDirectory.Length > 0)
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            var (t, c, skipped) = await PostgreyImport.RunAsync(importDirectory, Get(p, DbDump), store, TimeSpan.FromHours(1), logger, cancellationToken).ConfigureAwait(false);
            await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"imported {t} triplets and {c} clients from {importDirectory} into {store.Description} ({skipped} skipped)").AsMemory(), cancellationToken).ConfigureAwait(false);
            await context.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        // An embedded store that cannot open is the admin's to fix (75). A database that is
        // down or hung at start is not: the daemon listens at once, requests are answered as
        // "store unavailable" and the schema is created in the background once it answers.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ready = false;
        if (store is SqliteGreylistStore)
        {
            ready = await TryInitializeAsync(store, settings, logger, stop.Token).ConfigureAwait(false);
            if (!ready)
                throw new MailsealException($"cannot open the greylist store {store.Description}", MailsealException.DefaultEnhancedStatusCode, isTransient: true, ExitCodes.TempFail, null);
        }

        var handler = new GreylistHandler(settings, store, clients, recipients, logger);
        await using var server = new PolicyServer(handler, serverOptions, logger);
        var expiryInterval = TimeSpan.FromSeconds(GreydSettings.ParseLong(Get(p, ExpiryInterval), "expiry_interval", 10, 86400 * 7));
        var maintenance = MaintainAsync(store, ready, settings, expiryInterval, logger, stop.Token);

        if (spawn)
        {
            await server.ServeConnectionAsync(context.Input, context.Output, "stdin", cancellationToken).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await maintenance.ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        server.Listen(listen);

        // The handler only marks the signal handled and queues the cancellation, so the shutdown
        // (continuations of every cancelled wait) never runs on the runtime's signal thread.
        void Stop(PosixSignalContext c)
        {
            c.Cancel = true;
            ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    stop.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // Already stopping.
                }
            });
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        logger.Information("mailseal-greyd started: store {Store:l}, delay {Delay} s, {Clients} client and {Recipients} recipient whitelist entries, {Count} endpoint(s)",
            store.Description, settings.Parameters.Delay, clients.Count, recipients.Count, listen.Count);
        await server.RunAsync(stop.Token).ConfigureAwait(false);
        await maintenance.ConfigureAwait(false);
        logger.Information("mailseal-greyd stopped after {Requests} requests", server.RequestsServed);
        return ExitCodes.Ok;
    }

    private static async Task<bool> TryInitializeAsync(IGreylistStore store, GreydSettings settings, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            // WaitAsync bounds the wait even where a driver does not heed its token mid-handshake.
            var limit = settings.StoreTimeout + TimeSpan.FromSeconds(10);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(limit);
            await store.InitializeAsync(cts.Token).WaitAsync(limit, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            log.Error("greylist store {Store:l} not ready: {Type}: {Reason}", store.Description, e.GetType().Name, e.Message);
            return false;
        }
    }

    /// <summary>Creates the schema once the database is reachable, then expires old rows every interval; never ends the daemon.</summary>
    private static async Task MaintainAsync(IGreylistStore store, bool ready, GreydSettings settings, TimeSpan interval, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            while (!ready)
            {
                ready = await TryInitializeAsync(store, settings, log, cancellationToken).ConfigureAwait(false);
                if (ready)
                    log.Information("greylist store {Store:l} ready", store.Description);
                else
                    await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    var deleted = await store.ExpireAsync(cancellationToken).ConfigureAwait(false);
                    if (deleted > 0)
                        log.Information("expired {Count} old entries", deleted);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.Warning("expiry failed: {Type}: {Reason}", e.GetType().Name, e.Message);
                }

                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static string NonEmpty(string value, string name) =>
        value.Trim().Length == 0 ? throw new FormatException($"{name} must not be empty") : value.Trim();

    private static string Get(ParseResult p, Option<string> option) => PolicyCommandOptions.Get(p, option);

    private static Option<string> Text(string name, string helpName, string defaultValue, string description) => PolicyCommandOptions.Text(name, helpName, defaultValue, description);

    private static Option<bool> Switch(string name, string description) => PolicyCommandOptions.Switch(name, description);
}
