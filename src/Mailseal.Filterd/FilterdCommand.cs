using System.CommandLine;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Configuration;
using Mailseal.Core.Keys;
using Mailseal.Core.Messages;
using Mailseal.Pipeline;
using Mailseal.Pipeline.Processing;
using Mailseal.Pipeline.Scrub;
using Mailseal.Pipeline.Server;
using Mailseal.Pipeline.Smtp;
using Mailseal.Pipeline.Spam;

namespace Mailseal.Filterd;

/// <summary>
/// The definition of <c>mailseal-filterd</c>: the listener's limits, then the same processing
/// options as mailseal-pipe (each also a name in the <c>[filterd]</c> section of mailseal.conf).
/// The action turns them into <see cref="FilterdSettings"/> and hands them to the given runner,
/// which starts the daemon, or (on a reload) only keeps them.
/// </summary>
internal sealed class FilterdCommand
{
    public FilterdCommand(Func<FilterdSettings, CancellationToken, Task<int>> run)
    {
        Root = new RootCommand("After-queue SMTP/LMTP content filter daemon (Postfix FILTER_README's advanced content filter): spam check (spamd), optional header scrubbing, and encryption of each local recipient's copy to that recipient's own OpenPGP key, re-injected over SMTP with XFORWARD. The end of DATA is answered 250 only once the re-injection smtpd accepted every copy; any failure is 4xx and Postfix keeps the mail.")
        {
            Listen, Protocol, Reinject, ServerName, MaxSessions, MaxMessageSize, MaxLineLength, MaxRecipients, CommandTimeout, DataTimeout, ReinjectTimeout,
            ReloadInterval, ShutdownTimeout,
            KeyDir, Database, LocalDomains, RecipientDelimiter, SyslogSocket,
        };
        foreach (var option in Processing.Filtering.Concat(Processing.Buffers))
            Root.Add(option);
        Root.SetAction((parse, ct) => run(Build(parse), ct));
    }

    public RootCommand Root { get; }

    public Option<string[]> Listen { get; } = new("--listen")
    {
        Description = "Listen on inet:IP:PORT or unix:/PATH (repeatable). Postfix: content_filter = mailseal-filterd:[127.0.0.1]:10027 (a unix socket needs lmtp: --protocol lmtp and content_filter = mailseal-filterd-lmtp:unix:/PATH).",
        HelpName = "ENDPOINT",
        DefaultValueFactory = _ => ["inet:127.0.0.1:10027"],
    };

    public Option<SmtpServerProtocol> Protocol { get; } = new("--protocol") { Description = "Speak SMTP (for Postfix's smtp client) or LMTP (lmtp client; one reply per recipient).", HelpName = "smtp|lmtp", DefaultValueFactory = _ => SmtpServerProtocol.Smtp };

    public Option<string> Reinject { get; } = new("--reinject")
    {
        Description = "The re-injection smtpd (master.cf: 127.0.0.1:10028 with content_filter= and XFORWARD allowed): smtp:HOST:PORT, inet:HOST:PORT or unix:/PATH.",
        HelpName = "smtp:HOST:PORT",
        DefaultValueFactory = _ => "smtp:127.0.0.1:10028",
    };

    public Option<string> ServerName { get; } = new("--server-name") { Description = "Name in the greeting and EHLO reply, and sent in EHLO to the re-injection smtpd.", HelpName = "NAME", DefaultValueFactory = _ => "localhost" };

    public Option<int> MaxSessions { get; } = new("--max-sessions") { Description = "Sessions served at once; match the filter transport's process limit in master.cf. More connections wait for their greeting.", HelpName = "N", DefaultValueFactory = _ => new SmtpServerOptions().MaxSessions };

    public Option<long> MaxMessageSize { get; } = new("--max-message-size") { Description = "Largest message in bytes (announced as SIZE; larger is answered 552). At least main.cf's message_size_limit.", HelpName = "BYTES", DefaultValueFactory = _ => new SmtpServerOptions().MaxMessageSize };

    public Option<int> MaxLineLength { get; } = new("--max-line-length") { Description = "Longest SMTP command line in bytes (the body streams and needs no line limit).", HelpName = "BYTES", DefaultValueFactory = _ => new SmtpServerOptions().MaxLineLength };

    public Option<int> MaxRecipients { get; } = new("--max-recipients") { Description = "Recipients per transaction; more get 452 and come in another transaction.", HelpName = "N", DefaultValueFactory = _ => new SmtpServerOptions().MaxRecipients };

    public Option<int> CommandTimeout { get; } = new("--command-timeout") { Description = "Seconds to wait for a command.", HelpName = "SECONDS", DefaultValueFactory = _ => 300 };

    public Option<int> DataTimeout { get; } = new("--data-timeout") { Description = "Seconds to wait for the next bytes of a message.", HelpName = "SECONDS", DefaultValueFactory = _ => 300 };

    public Option<int> ReinjectTimeout { get; } = new("--reinject-timeout") { Description = "Seconds the re-injection smtpd may take to connect or answer; then the message is answered 451 (keep it under Postfix's smtp_data_done_timeout, 600 s).", HelpName = "SECONDS", DefaultValueFactory = _ => 120 };

    public Option<int> ReloadInterval { get; } = new("--reload-interval") { Description = "Seconds between checks whether mailseal.conf or the scrub rules changed (then they are re-read without a restart; SIGHUP re-reads at once); 0 = only on SIGHUP. Keys are re-read when their file or row changes, always.", HelpName = "SECONDS", DefaultValueFactory = _ => 5 };

    public Option<int> ShutdownTimeout { get; } = new("--shutdown-timeout") { Description = "On SIGTERM, seconds to let messages in flight finish before they are abandoned (unanswered: Postfix keeps them).", HelpName = "SECONDS", DefaultValueFactory = _ => 60 };

    public Option<string> KeyDir { get; } = SharedOptions.KeyDir();

    public Option<string> Database { get; } = SharedOptions.Database();

    public Option<string> LocalDomains { get; } = SharedOptions.LocalDomains();

    public Option<string> RecipientDelimiter { get; } = SharedOptions.RecipientDelimiter();

    public Option<string> SyslogSocket { get; } = SharedOptions.SyslogSocket();

    /// <summary>The processing options mailseal-pipe takes too (spam, scrub, keys, headers, spool).</summary>
    public ProcessingCommandOptions Processing { get; } = new("451", "554");

    private static MailsealException Config(string message) => new(message, "4.3.5", isTransient: false, ExitCodes.TempFail, null);

    private static TimeSpan Seconds(int value, string name, int min = 1)
    {
        if (value < min || value > 86400)
            throw Config($"{name} must be {min}..86400 seconds");
        return TimeSpan.FromSeconds(value);
    }

    internal FilterdSettings Build(ParseResult parse)
    {
        var listen = new List<System.Net.EndPoint>();
        try
        {
            foreach (string l in parse.GetValue(Listen) ?? [])
                listen.Add(SmtpListener.ParseEndpoint(l));
        }
        catch (FormatException e)
        {
            throw Config(e.Message);
        }

        if (listen.Count == 0)
            throw Config("--listen: no address given");

        string reinject = parse.GetValue(Reinject) ?? string.Empty;
        if (reinject.StartsWith("smtp:", StringComparison.Ordinal))
            reinject = "inet:" + reinject["smtp:".Length..];
        try
        {
            _ = ServiceEndpoint.Parse(reinject);
        }
        catch (FormatException e)
        {
            throw Config("--reinject: " + e.Message);
        }

        string serverName = parse.GetValue(ServerName) ?? "localhost";
        var server = new SmtpServerOptions
        {
            Protocol = parse.GetValue(Protocol),
            ServerName = serverName,
            MaxSessions = parse.GetValue(MaxSessions),
            MaxMessageSize = parse.GetValue(MaxMessageSize),
            MaxLineLength = parse.GetValue(MaxLineLength),
            MaxRecipients = parse.GetValue(MaxRecipients),
            CommandTimeout = Seconds(parse.GetValue(CommandTimeout), "--command-timeout"),
            DataTimeout = Seconds(parse.GetValue(DataTimeout), "--data-timeout"),
        };
        try
        {
            server.Validate();
        }
        catch (ArgumentException e)
        {
            throw Config(e.Message);
        }

        var processing = Processing.Build(parse, new ReinjectorOptions
        {
            Mode = ReinjectionMode.Smtp,
            SmtpEndpoint = reinject,
            HeloName = serverName,
            ReplyTimeout = Seconds(parse.GetValue(ReinjectTimeout), "--reinject-timeout"),
        });

        string scrubPath = parse.GetValue(Processing.ScrubRules) ?? string.Empty;
        string config = parse.GetValue<string>(ToolHost.ConfigOptionName) is { Length: > 0 } c ? c : ConfigurationDefaults.ConfigPath;
        var watched = new List<string> { config };
        if (scrubPath.Length > 0)
            watched.Add(scrubPath);
        return new FilterdSettings
        {
            Listen = listen,
            Server = server,
            Processing = processing,
            KeyDir = parse.GetValue(KeyDir) ?? string.Empty,
            Database = parse.GetValue(Database) ?? string.Empty,
            Keys = new KeyDirectoryOptions
            {
                LocalDomains = SharedValues.ParseDomains(parse.GetValue(LocalDomains) ?? string.Empty),
                RecipientDelimiter = parse.GetValue(RecipientDelimiter) ?? string.Empty,
                KeyReadTimeout = TimeSpan.FromSeconds(parse.GetValue(Processing.KeyReadTimeout)),
            },
            SyslogSocket = parse.GetValue(SyslogSocket) ?? ConfigurationDefaults.SyslogSocket,
            WatchedFiles = watched,
            ReloadInterval = Seconds(parse.GetValue(ReloadInterval), "--reload-interval", min: 0),
            ShutdownTimeout = Seconds(parse.GetValue(ShutdownTimeout), "--shutdown-timeout"),
        };
    }
}
