using System.CommandLine;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Keys;
using Mailseal.Core.Messages;
using Mailseal.Pipeline.Smtp;
using Mailseal.Pipeline.Spam;

namespace Mailseal.Pipeline.Processing;

/// <summary>
/// One definition of the processing options mailseal-pipe and mailseal-filterd share (the spam
/// check, scrubbing, a missing key, header protection, DKIM, the ciphertext spool, the classify
/// limit; each also a name in the tool's mailseal.conf section), and the one place that turns
/// them into <see cref="PipeOptions"/>. An option belongs to one command, so each command makes
/// its own instance; what differs between the tools (how a deferral or a bounce reaches Postfix)
/// is given to the constructor.
/// </summary>
public sealed class ProcessingCommandOptions
{
    /// <summary>Creates the options of one command.</summary>
    /// <param name="tempfail">How the tool defers, for the help text: "exit 75" or "451".</param>
    /// <param name="bounce">How it bounces: "exit 67" or "554".</param>
    public ProcessingCommandOptions(string tempfail, string bounce)
    {
        SpamUnavailable = new("--spam-unavailable")
        {
            Description = $"spamd unreachable or failing: tempfail ({tempfail}, the mail stays queued) or skip (deliver with a header saying the check did not run).",
            HelpName = "tempfail|skip",
            DefaultValueFactory = _ => SpamUnavailablePolicy.Tempfail,
        };
        MissingKey = new("--missing-key")
        {
            Description = $"A local recipient without a usable key: tempfail ({tempfail}, default), bounce ({bounce}), or pass (that recipient's copy in plaintext).",
            HelpName = "tempfail|pass|bounce",
            DefaultValueFactory = _ => MissingKeyPolicy.Tempfail,
        };
    }

    /// <summary><c>--spam-check</c>.</summary>
    public Option<bool> SpamCheck { get; } = new("--spam-check") { Description = "Ask spamd for a verdict and put it on the outer (unencrypted) header.", DefaultValueFactory = _ => true };

    /// <summary><c>--spamd ENDPOINT</c>.</summary>
    public Option<string> Spamd { get; } = new("--spamd") { Description = "Where spamd listens: inet:HOST:PORT or unix:/PATH.", HelpName = "ENDPOINT", DefaultValueFactory = _ => new SpamdClientOptions().Endpoint };

    /// <summary><c>--spam-max-size BYTES</c>.</summary>
    public Option<int> SpamMaxSize { get; } = new("--spam-max-size") { Description = "Messages larger than this many bytes skip the spam check (as spamc -s) and get a header saying so.", HelpName = "BYTES", DefaultValueFactory = _ => new SpamdClientOptions().MaxMessageSize };

    /// <summary><c>--spam-unavailable tempfail|skip</c>.</summary>
    public Option<SpamUnavailablePolicy> SpamUnavailable { get; }

    /// <summary><c>--spam-subject-tag TEXT</c>.</summary>
    public Option<string> SpamSubjectTag { get; } = new("--spam-subject-tag") { Description = "Put this in front of a spam message's Subject (e.g. [SPAM]); empty leaves the Subject alone.", HelpName = "TEXT", DefaultValueFactory = _ => string.Empty };

    /// <summary><c>--scrub</c>.</summary>
    public Option<bool> Scrub { get; } = new("--scrub") { Description = "Scrub the header as mailseal-scrub does (meant for the submission path)." };

    /// <summary><c>--scrub-rules FILE</c>.</summary>
    public Option<string> ScrubRules { get; } = new("--scrub-rules") { Description = "Scrub rules file; empty for the built-in rules.", HelpName = "FILE", DefaultValueFactory = _ => string.Empty };

    /// <summary><c>--missing-key tempfail|pass|bounce</c>.</summary>
    public Option<MissingKeyPolicy> MissingKey { get; }

    /// <summary><c>--key-read-timeout SECONDS</c> (<see cref="SharedOptions.KeyReadTimeout"/>); the caller puts it into its <see cref="KeyDirectoryOptions"/>.</summary>
    public Option<int> KeyReadTimeout { get; } = SharedOptions.KeyReadTimeout();

    /// <summary><c>--protect-headers</c>.</summary>
    public Option<bool> ProtectHeaders { get; } = new("--protect-headers") { Description = "RFC 9788 header protection inside the encrypted part." };

    /// <summary><c>--hide-subject</c>.</summary>
    public Option<bool> HideSubject { get; } = new("--hide-subject") { Description = "Replace the outer Subject with \"...\" (implies --protect-headers)." };

    /// <summary><c>--dkim-signature rename|drop|keep</c>.</summary>
    public Option<DkimSignaturePolicy> DkimSignature { get; } = new("--dkim-signature")
    {
        Description = "A DKIM-Signature cannot verify once the body is encrypted: rename it to X-Original-DKIM-Signature, drop it, or keep it.",
        HelpName = "rename|drop|keep",
        DefaultValueFactory = _ => DkimSignaturePolicy.Rename,
    };

    /// <summary><c>--spool-memory BYTES</c>.</summary>
    public Option<int> SpoolMemory { get; } = new("--spool-memory")
    {
        Description = "Bytes of ciphertext (never plaintext) kept in memory per copy before it moves to an unlinked 0600 temp file.",
        HelpName = "BYTES",
        DefaultValueFactory = _ => MessageEncryptionOptions.Default.SpoolMemoryThreshold,
    };

    /// <summary><c>--classify-limit BYTES</c> (<see cref="SharedOptions.ClassifyLimit"/>).</summary>
    public Option<int> ClassifyLimit { get; } = SharedOptions.ClassifyLimit();

    /// <summary>The spam, scrub, key and header options, in the order help lists them.</summary>
    public IReadOnlyList<Option> Filtering => [SpamCheck, Spamd, SpamMaxSize, SpamUnavailable, SpamSubjectTag, Scrub, ScrubRules, MissingKey, KeyReadTimeout, ProtectHeaders, HideSubject, DkimSignature];

    /// <summary>The memory options, in the order help lists them.</summary>
    public IReadOnlyList<Option> Buffers => [SpoolMemory, ClassifyLimit];

    /// <summary>The processing settings of a parsed command line, with the tool's own re-injection settings.</summary>
    /// <exception cref="MailsealException">A negative size, or a scrub rules file that cannot be read (75).</exception>
    public PipeOptions Build(ParseResult parse, ReinjectorOptions reinject)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(reinject);
        int spamMax = parse.GetValue(SpamMaxSize);
        int spool = parse.GetValue(SpoolMemory);
        if (spamMax < 0 || spool < 0)
            throw new MailsealException("sizes must not be negative", "4.3.5", isTransient: false, ExitCodes.TempFail, null);
        Pipeline.Scrub.ScrubRules? rules = null;
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
            Reinject = reinject,
        };
    }
}
