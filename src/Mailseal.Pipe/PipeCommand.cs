using System.CommandLine;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Configuration;
using Mailseal.Core.Keys;
using Mailseal.Core.Logging;
using Mailseal.Core.Messages;
using Mailseal.Pipeline.Processing;
using Mailseal.Pipeline.Scrub;
using Mailseal.Pipeline.Smtp;
using Mailseal.Pipeline.Spam;
using Serilog;

namespace Mailseal.Pipe;

/// <summary>
/// The definition of <c>mailseal-pipe</c> (options as properties) and its action: one message
/// from stdin through <see cref="MessageProcessor"/>, one syslog line per recipient.
/// </summary>
internal sealed class PipeCommand
{
    /// <summary>The binary name in error lines and the syslog tag.</summary>
    public const string ToolName = "mailseal-pipe";

    private readonly ToolContext _context;

    public PipeCommand(ToolContext context)
    {
        _context = context;
        Root = new ToolRootCommand(ToolName, "The Postfix content_filter pipe transport: spam check (spamd), optional header scrubbing, and encryption of each local recipient's copy to that recipient's own OpenPGP key, re-injected atomically. A message that cannot be finished stays queued (exit 75).")
        {
            QueueId, Sender, SendmailCompat, IgnoreDots,
            KeyDir, Database, LocalDomains, RecipientDelimiter, SyslogSocket,
        };
        foreach (var option in Processing.Filtering)
            Root.Add(option);
        foreach (var option in new Option[] { Reinject, ReinjectSmtp, SendmailPath, PostfixConfig }.Concat(Processing.Buffers))
            Root.Add(option);
        Root.Add(Recipients);
        Root.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public ToolRootCommand Root { get; }

    public Option<string> QueueId { get; } = new("--queue-id", "-q") { Description = "Postfix queue id for the log lines (pipe(8): ${queue_id}).", HelpName = "ID" };

    public Option<string> Sender { get; } = new("--sender", "-f")
    {
        Description = "Envelope sender (pipe(8): ${sender}); empty for the null sender. Re-injection uses this, never the header From.",
        HelpName = "ADDRESS",
        DefaultValueFactory = _ => string.Empty,
    };

    /// <summary>sendmail's <c>-oi</c>, accepted so the tutorial's argv works unchanged; the SMTP dialogue needs no dot option.</summary>
    public Option<string> SendmailCompat { get; } = new("-o") { Hidden = true, Description = "Accepted for sendmail compatibility (-oi); no effect." };

    /// <summary>sendmail's <c>-i</c>, accepted and ignored like <see cref="SendmailCompat"/>.</summary>
    public Option<bool> IgnoreDots { get; } = new("-i") { Hidden = true, Description = "Accepted for sendmail compatibility; no effect." };

    public Option<string> KeyDir { get; } = SharedOptions.KeyDir();

    public Option<string> Database { get; } = SharedOptions.Database();

    public Option<string> LocalDomains { get; } = SharedOptions.LocalDomains();

    public Option<string> RecipientDelimiter { get; } = SharedOptions.RecipientDelimiter();

    public Option<string> SyslogSocket { get; } = SharedOptions.SyslogSocket();

    /// <summary>The processing options filterd takes too (spam, scrub, keys, headers, spool).</summary>
    public ProcessingCommandOptions Processing { get; } = new("exit 75", "exit 67");

    public Option<string> Reinject { get; } = new("--reinject")
    {
        Description = "How copies go back to Postfix: sendmail-bs (the SMTP dialogue over sendmail -bs) or smtp (to --reinject-smtp). Both queue a copy only at the final dot.",
        HelpName = "sendmail-bs|smtp",
        DefaultValueFactory = _ => "sendmail-bs",
    };

    public Option<string> ReinjectSmtp { get; } = new("--reinject-smtp") { Description = "The loopback smtpd without content_filter, for --reinject smtp.", HelpName = "inet:HOST:PORT", DefaultValueFactory = _ => new ReinjectorOptions().SmtpEndpoint };

    public Option<string> SendmailPath { get; } = new("--sendmail-path") { Description = "Postfix's sendmail.", HelpName = "PATH", DefaultValueFactory = _ => new ReinjectorOptions().SendmailPath };

    public Option<string> PostfixConfig { get; } = new("--postfix-config") { Description = "Configuration directory for sendmail -C (a second Postfix instance); empty for Postfix's default.", HelpName = "DIR", DefaultValueFactory = _ => string.Empty };

    public Argument<string[]> Recipients { get; } = new("recipient") { Arity = ArgumentArity.ZeroOrMore, Description = "Envelope recipients (pipe(8): ${recipient})." };

    internal PipeOptions BuildOptions(ParseResult parse)
    {
        string reinject = parse.GetValue(Reinject) ?? "sendmail-bs";
        if (reinject is not ("sendmail-bs" or "smtp"))
            throw Config($"--reinject must be sendmail-bs or smtp, not '{reinject}'");
        string postfixConfig = parse.GetValue(PostfixConfig) ?? string.Empty;
        return Processing.Build(parse, new ReinjectorOptions
        {
            Mode = reinject == "smtp" ? ReinjectionMode.Smtp : ReinjectionMode.SendmailBs,
            SmtpEndpoint = parse.GetValue(ReinjectSmtp) ?? string.Empty,
            SendmailPath = parse.GetValue(SendmailPath) ?? string.Empty,
            SendmailArguments = postfixConfig.Length == 0 ? [] : ["-C", postfixConfig],
        });
    }

    private static MailsealException Config(string message) => new(message, "4.3.5", isTransient: false, ExitCodes.TempFail, null);

    private async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var recipients = parse.GetValue(Recipients) ?? [];
        if (recipients.FirstOrDefault(r => r.StartsWith('-')) is { } flag)
        {
            // System.CommandLine takes an unknown flag for a positional argument: never mail it.
            throw Config($"'{flag}' is not an option of mailseal-pipe (recipients follow --)");
        }

        string? queueId = parse.GetValue(QueueId);
        string sender = parse.GetValue(Sender) ?? string.Empty;
        using var log = MailsealLogging.Create(new LoggingOptions
        {
            ToolName = ToolName,
            Mode = LogMode.Filter,
            SyslogSocket = parse.GetValue(SyslogSocket) ?? ConfigurationDefaults.SyslogSocket,
        });

        PipeOptions options;
        try
        {
            options = BuildOptions(parse);
        }
        catch (ArgumentException e)
        {
            throw Config(e.Message);
        }

        var keys = KeyDirectoryFactory.Create(parse.GetValue(KeyDir) ?? string.Empty, parse.GetValue(Database) ?? string.Empty, new KeyDirectoryOptions
        {
            LocalDomains = SharedValues.ParseDomains(parse.GetValue(LocalDomains) ?? string.Empty),
            RecipientDelimiter = parse.GetValue(RecipientDelimiter) ?? string.Empty,
            KeyReadTimeout = TimeSpan.FromSeconds(parse.GetValue(Processing.KeyReadTimeout)),
            ReadOnOwnThread = true,
        });
        try
        {
            ProcessResult result;
            try
            {
                result = await new MessageProcessor(options, keys).ProcessAsync(_context.Input, sender, recipients, ct).ConfigureAwait(false);
            }
            catch (MailsealException e)
            {
                foreach (string r in recipients)
                {
                    var failed = new MailLogLine(queueId).To(r).Action(e.ExitCode == ExitCodes.TempFail ? "tempfail" : "bounce", e.Message);
                    log.Warning("{MailLine}", failed.ToString());
                }

                throw;
            }

            foreach (var o in result.Recipients)
                log.Information("{MailLine}", result.LogLine(queueId, o).ToString());

            return ExitCodes.Ok;
        }
        finally
        {
            if (keys is IAsyncDisposable ad)
                await ad.DisposeAsync().ConfigureAwait(false);
            else if (keys is IDisposable d)
                d.Dispose();
        }
    }
}
