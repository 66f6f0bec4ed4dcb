using System.CommandLine;
using System.Globalization;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Keys;
using Mailseal.Core.Logging;
using Mailseal.Core.Messages;
using Mailseal.Core.OpenPgp;
using Serilog;
using Serilog.Events;

namespace Mailseal.Encrypt;

/// <summary>
/// The definition of <c>mailseal-encrypt</c> (options as fields) and its action: look up each
/// recipient's key, then encrypt stdin to stdout with <see cref="MessageEncryptor"/>, pass it on
/// unchanged, or defer it, and log one line.
/// </summary>
internal sealed class EncryptCommand
{
    /// <summary>The binary name in error lines and the syslog tag.</summary>
    public const string ToolName = "mailseal-encrypt";

    /// <summary>RFC 3463 X.7.5 "cryptographic failure": no usable key where one is needed.</summary>
    public const string NoKeyStatus = "4.7.5";

    private readonly ToolContext _context;
    private readonly TimeProvider _time;

    public EncryptCommand(ToolContext context, TimeProvider? time = null)
    {
        _context = context;
        _time = time ?? TimeProvider.System;
        Root = new ToolRootCommand(ToolName, "Encrypt one message (stdin) to its local recipients' OpenPGP keys as PGP/MIME (stdout), as gpgit.pl did, and keep Postfix's contracts: a message that cannot be encrypted is deferred (exit 75), never passed on in plaintext.")
        {
            KeyDir, Database, LocalDomains, RecipientDelimiter, SyslogSocket, MissingKey, KeyReadTimeout, ProtectHeaders, HideSubject, DkimSignature,
            QueueId, SpoolMemory, ClassifyLimit, Recipients,
        };
        Root.SetAction((parse, ct) => RunAsync(parse, ct));
    }

    public ToolRootCommand Root { get; }

    public Option<string> KeyDir { get; } = SharedOptions.KeyDir();

    public Option<string> Database { get; } = SharedOptions.Database();

    public Option<string> LocalDomains { get; } = SharedOptions.LocalDomains();

    public Option<string> RecipientDelimiter { get; } = SharedOptions.RecipientDelimiter();

    public Option<string> SyslogSocket { get; } = SharedOptions.SyslogSocket();

    public Option<MissingKeyPolicy> MissingKey { get; } = new("--missing-key")
    {
        Description = "A local recipient without a usable key (missing, expired, revoked, sign-only): tempfail (exit 75, the mail stays queued), bounce (exit 67), or pass (leave the recipient out; with no key at all the message passes unchanged, in plaintext).",
        HelpName = "tempfail|pass|bounce",
        DefaultValueFactory = _ => MissingKeyPolicy.Tempfail,
    };

    public Option<int> KeyReadTimeout { get; } = SharedOptions.KeyReadTimeout();

    public Option<bool> ProtectHeaders { get; } = new("--protect-headers")
    {
        Description = "RFC 9788 header protection: the encrypted part carries a copy of the header fields, marked hp=\"cipher\".",
    };

    public Option<bool> HideSubject { get; } = new("--hide-subject")
    {
        Description = "Replace the outer Subject with \"...\" (implies --protect-headers). Server-side subject rules and search stop seeing it.",
    };

    public Option<DkimSignaturePolicy> DkimSignature { get; } = new("--dkim-signature")
    {
        Description = "A DKIM-Signature cannot verify once the body is encrypted: rename it to X-Original-DKIM-Signature, drop it, or keep it.",
        HelpName = "rename|drop|keep",
        DefaultValueFactory = _ => DkimSignaturePolicy.Rename,
    };

    public Option<string> QueueId { get; } = new("--queue-id")
    {
        Description = "Postfix queue id for the log line (pipe(8): ${queue_id}).",
        HelpName = "ID",
    };

    public Option<int> SpoolMemory { get; } = new("--spool-memory")
    {
        Description = "Bytes of finished output (ciphertext, never plaintext) kept in memory before it moves to an unlinked 0600 temp file.",
        HelpName = "BYTES",
        DefaultValueFactory = _ => MessageEncryptionOptions.Default.SpoolMemoryThreshold,
    };

    public Option<int> ClassifyLimit { get; } = SharedOptions.ClassifyLimit();

    public Argument<string[]> Recipients { get; } = new("recipient")
    {
        Arity = ArgumentArity.ZeroOrMore,
        Description = "Envelope recipient addresses (pipe(8): ${recipient}).",
    };

    private async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        var recipients = parse.GetValue(Recipients) ?? [];
        var queueId = parse.GetValue(QueueId);
        using var log = MailsealLogging.Create(new LoggingOptions
        {
            ToolName = ToolName,
            Mode = LogMode.Filter,
            SyslogSocket = parse.GetValue(SyslogSocket) ?? "/dev/log",
        });

        if (recipients.FirstOrDefault(r => r.StartsWith('-')) is { } unknown)
        {
            // System.CommandLine hands unknown options to the recipient list; Postfix never passes an address starting with '-'.
            throw new MailsealException($"unknown option {unknown} (see --help)", "4.3.5", false, ExitCodes.TempFail, null);
        }

        // None, an empty one ("$4" of a wrong wrapper) or one that is not an address: a wiring
        // mistake, deferred with one 4.3.5 line; never passed on as "not local", never help on stdout.
        EnvelopeRecipients.Validate(recipients);

        var spoolMemory = parse.GetValue(SpoolMemory);
        if (spoolMemory < 0)
            throw new MailsealException("--spool-memory must not be negative", "4.3.5", false, ExitCodes.TempFail, null);

        var directory = KeyDirectoryFactory.Create(parse.GetValue(KeyDir) ?? "", parse.GetValue(Database) ?? "", new KeyDirectoryOptions
        {
            LocalDomains = Core.Configuration.SharedValues.ParseDomains(parse.GetValue(LocalDomains) ?? ""),
            RecipientDelimiter = parse.GetValue(RecipientDelimiter) ?? "",
            TimeProvider = _time,
            KeyReadTimeout = TimeSpan.FromSeconds(parse.GetValue(KeyReadTimeout)),
            ReadOnOwnThread = true,
        });
        var found = new List<KeyLookupResult>();
        try
        {
            foreach (var r in recipients)
                found.Add(await directory.LookupAsync(r, ct).ConfigureAwait(false));
        }
        catch (KeyDirectoryException e)
        {
            var line = new MailLogLine(queueId);
            foreach (var r in recipients)
                line.To(r);
            log.Mail(line.Action("tempfail", e.Message), LogEventLevel.Warning);
            throw;
        }
        finally
        {
            if (directory is IAsyncDisposable disposable)
                await disposable.DisposeAsync().ConfigureAwait(false);
        }

        var policy = parse.GetValue(MissingKey);
        var keyless = found.Where(f => f.IsLocal && f.Recipient is null).ToList();
        if (keyless.Count > 0 && policy != MissingKeyPolicy.Pass)
        {
            var first = keyless[0];
            LogLine(log, queueId, found, "tempfail", null, first.Reason, policy == MissingKeyPolicy.Bounce ? LogEventLevel.Warning : LogEventLevel.Warning);
            if (policy == MissingKeyPolicy.Bounce)
            {
                await WriteErrorAsync("5.7.5 " + ToolName + ": " + first.Reason, ct).ConfigureAwait(false);
                return ExitCodes.NoUser;
            }

            throw new MailsealException(first.Reason ?? "no usable key", NoKeyStatus, isTransient: true, ExitCodes.TempFail, null);
        }

        // A loop, not Where(...).Select(...): chained LINQ iterators dispatch through a generic
        // virtual method, which a NativeAOT binary resolves with its type loader at each start.
        var keys = new List<EncryptionRecipient>(found.Count);
        var fingerprints = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in found)
        {
            if (f.Recipient is { } r && fingerprints.Add(Convert.ToHexString(r.Key.Fingerprint)))
                keys.Add(r);
        }

        if (keys.Count == 0)
        {
            // Nobody local with a key: outbound mail, or the admin chose --missing-key pass. Unchanged, streamed.
            var copied = await PassUnchangedAsync(ct).ConfigureAwait(false);
            LogLine(log, queueId, found, "passed", null, keyless.Count > 0 ? "no usable key, --missing-key pass" : "not local", LogEventLevel.Information, copied);
            return ExitCodes.Ok;
        }

        var options = new MessageEncryptionOptions
        {
            ProtectHeaders = parse.GetValue(ProtectHeaders),
            HideSubject = parse.GetValue(HideSubject),
            DkimSignature = parse.GetValue(DkimSignature),
            SpoolMemoryThreshold = spoolMemory,
            Limits = MessageEncryptionOptions.Default.Limits with { MaxClassifyBytes = parse.GetValue(ClassifyLimit) },
        };
        var encryptor = new MessageEncryptor(new PgpContentEncryptor());
        MessageEncryptionResult result;
        try
        {
            result = await encryptor.EncryptAsync(_context.Input, _context.Output, keys, options, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OpenPgpFormatException or UnauthorizedAccessException)
        {
            LogLine(log, queueId, found, "tempfail", keys, e.Message, LogEventLevel.Warning);
            throw;
        }

        var action = result.Action == MessageAction.Encrypted ? "encrypted" : "already-encrypted";
        LogLine(log, queueId, found, action, result.Action == MessageAction.Encrypted ? keys : null, result.Reason, LogEventLevel.Information, result.OutputBytes);
        return ExitCodes.Ok;
    }

    private async Task<long> PassUnchangedAsync(CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(64 * 1024);
        long total = 0;
        int n;
        while ((n = await _context.Input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            await _context.Output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            total += n;
        }

        await _context.Output.FlushAsync(ct).ConfigureAwait(false);
        return total;
    }

    private async Task WriteErrorAsync(string line, CancellationToken ct)
    {
        await _context.Error.WriteLineAsync(line.AsMemory(), ct).ConfigureAwait(false);
        await _context.Error.FlushAsync(ct).ConfigureAwait(false);
    }

    private static void LogLine(ILogger log, string? queueId, List<KeyLookupResult> found, string action,
        IReadOnlyList<EncryptionRecipient>? keys, string? detail, LogEventLevel level, long? size = null)
    {
        var line = new MailLogLine(queueId);
        foreach (var f in found)
            line.To(f.Address);
        line.Action(action, detail);
        if (keys is not null)
            line.Key(string.Join(",", keys.Select(k => Convert.ToHexString(k.PrimaryFingerprint))));
        if (size is not null)
            line.Add("size", size.Value.ToString(CultureInfo.InvariantCulture));
        log.Mail(line, level);
    }
}
