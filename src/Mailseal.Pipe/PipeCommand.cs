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
            SpamCheck, Spamd, SpamMaxSize, SpamUnavailable, SpamSubjectTag,
            Scrub, ScrubRules, MissingKey, ProtectHeaders, HideSubject, DkimSignature,
            Reinject, ReinjectSmtp, SendmailPath, PostfixConfig, SpoolMemory, ClassifyLimit,
            Recipients,
        };
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

    public Option<bool> SpamCheck { get; } = new("--spam-check") { Description = "Ask spamd for a verdict and put it on the outer (unencrypted) header.", DefaultValueFactory = _ => true };

    public Option<string> Spamd { get; } = new("--spamd") { Description = "Where spamd listens: inet:HOST:PORT or unix:/PATH.", HelpName = "ENDPOINT", DefaultValueFactory = _ => new SpamdClientOptions().Endpoint };

    public Option<int> SpamMaxSize { get; } = new("--spam-max-size")
    {
        Description = "Messages larger than this many bytes skip the spam check (as spamc -s) and get a header saying so.",
        HelpName = "BYTES",
        DefaultValueFactory = _ => new SpamdClientOptions().MaxMessageSize,
    };

    public Option<SpamUnavailablePolicy> SpamUnavailable { get; } = new("--spam-unavailable")
    {
        Description = "spamd unreachable or failing: tempfail (the mail stays queued) or skip (deliver with a header saying the check did not run).",
        HelpName = "tempfail|skip",
        DefaultValueFactory = _ => SpamUnavailablePolicy.Tempfail,
    };

    public Option<string> SpamSubjectTag { get; } = new("--spam-subject-tag") { Description = "Put this in front of a spam message's Subject (e.g. [SPAM]); empty leaves the Subject alone.", HelpName = "TEXT", DefaultValueFactory = _ => string.Empty };

    public Option<bool> Scrub { get; } = new("--scrub") { Description = "Scrub the header as mailseal-scrub does (meant for the submission path)." };

    public Option<string> ScrubRules { get; } = new("--scrub-rules") { Description = "Scrub rules file; empty for the built-in rules.", HelpName = "FILE", DefaultValueFactory = _ => string.Empty };

    public Option<MissingKeyPolicy> MissingKey { get; } = new("--missing-key")
    {
        Description = "A local recipient without a usable key: tempfail (exit 75, default), bounce (exit 67), or pass (that recipient's copy in plaintext).",
        HelpName = "tempfail|pass|bounce",
        DefaultValueFactory = _ => MissingKeyPolicy.Tempfail,
    };

    public Option<bool> ProtectHeaders { get; } = new("--protect-headers") { Description = "RFC 9788 header protection inside the encrypted part." };

    public Option<bool> HideSubject { get; } = new("--hide-subject") { Description = "Replace the outer Subject with \"...\" (implies --protect-headers)." };

    public Option<DkimSignaturePolicy> DkimSignature { get; } = new("--dkim-signature")
    {
        Description = "A DKIM-Signature cannot verify once the body is encrypted: rename it to X-Original-DKIM-Signature, drop it, or keep it.",
        HelpName = "rename|drop|keep",
        DefaultValueFactory = _ => DkimSignaturePolicy.Rename,
    };

    public Option<string> Reinject { get; } = new("--reinject")
    {
        Description = "How copies go back to Postfix: sendmail-bs (the SMTP dialogue over sendmail -bs) or smtp (to --reinject-smtp). Both queue a copy only at the final dot.",
        HelpName = "sendmail-bs|smtp",
        DefaultValueFactory = _ => "sendmail-bs",
    };

    public Option<string> ReinjectSmtp { get; } = new("--reinject-smtp") { Description = "The loopback smtpd without content_filter, for --reinject smtp.", HelpName = "inet:HOST:PORT", DefaultValueFactory = _ => new ReinjectorOptions().SmtpEndpoint };

    public Option<string> SendmailPath { get; } = new("--sendmail-path") { Description = "Postfix's sendmail.", HelpName = "PATH", DefaultValueFactory = _ => new ReinjectorOptions().SendmailPath };

    public Option<string> PostfixConfig { get; } = new("--postfix-config") { Description = "Configuration directory for sendmail -C (a second Postfix instance); empty for Postfix's default.", HelpName = "DIR", DefaultValueFactory = _ => string.Empty };

    public Option<int> SpoolMemory { get; } = new("--spool-memory")
    {
        Description = "Bytes of ciphertext (never plaintext) kept in memory per copy before it moves to an unlinked 0600 temp file.",
        HelpName = "BYTES",
        DefaultValueFactory = _ => MessageEncryptionOptions.Default.SpoolMemoryThreshold,
    };

    public Option<int> ClassifyLimit { get; } = SharedOptions.ClassifyLimit();

    public Argument<string[]> Recipients { get; } = new("recipient") { Arity = ArgumentArity.ZeroOrMore, Description = "Envelope recipients (pipe(8): ${recipient})." };

    internal PipeOptions BuildOptions(ParseResult parse)
    {
        string reinject = parse.GetValue(Reinject) ?? "sendmail-bs";
        if (reinject is not ("sendmail-bs" or "smtp"))
            throw Config($"--reinject must be sendmail-bs or smtp, not '{reinject}'");
        int spamMax = parse.GetValue(SpamMaxSize);
        int spool = parse.GetValue(SpoolMemory);
        if (spamMax < 0 || spool < 0)
            throw Config("sizes must not be negative");
        string postfixConfig = parse.GetValue(PostfixConfig) ?? string.Empty;
        ScrubRules? rules = null;
        if (parse.GetValue(Scrub))
        {
            string path = parse.GetValue(ScrubRules) ?? string.Empty;
            try
            {
                rules = path.Length == 0 ? Pipeline.Scrub.ScrubRules.Default : Pipeline.Scrub.ScrubRules.Load(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                throw new MailsealException(e.Message, "4.3.5", isTransient: false, ExitCodes.TempFail, e);
            }
        }

        return new PipeOptions
        {
            SpamCheck = parse.GetValue(SpamCheck),
            Spamd = new SpamdClientOptions { Endpoint = parse.GetValue(Spamd) ?? string.Empty, MaxMessageSize = spamMax },
            SpamUnavailable = parse.GetValue(SpamUnavailable),
            SpamSubjectTag = parse.GetValue(SpamSubjectTag) ?? string.Empty,
            Scrub = rules,
            MissingKey = parse.GetValue(MissingKey),
            Encryption = MessageEncryptionOptions.Default with
            {
                ProtectHeaders = parse.GetValue(ProtectHeaders) || parse.GetValue(HideSubject),
                HideSubject = parse.GetValue(HideSubject),
                DkimSignature = parse.GetValue(DkimSignature),
                SpoolMemoryThreshold = spool,
                Limits = MessageEncryptionOptions.Default.Limits with { MaxClassifyBytes = parse.GetValue(ClassifyLimit) },
            },
            Reinject = new ReinjectorOptions
            {
                Mode = reinject == "smtp" ? ReinjectionMode.Smtp : ReinjectionMode.SendmailBs,
                SmtpEndpoint = parse.GetValue(ReinjectSmtp) ?? string.Empty,
                SendmailPath = parse.GetValue(SendmailPath) ?? string.Empty,
                SendmailArguments = postfixConfig.Length == 0 ? [] : ["-C", postfixConfig],
            },
        };
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
