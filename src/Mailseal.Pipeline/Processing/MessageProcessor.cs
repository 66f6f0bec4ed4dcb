using System.IO.Pipelines;
using System.Text;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.IO;
using Mailseal.Core.Keys;
using Mailseal.Core.Messages;
using Mailseal.Core.Mime;
using Mailseal.Core.OpenPgp;
using Mailseal.Pipeline.Scrub;
using Mailseal.Pipeline.Smtp;
using Mailseal.Pipeline.Spam;

namespace Mailseal.Pipeline.Processing;

/// <summary>
/// What mailseal-pipe does to one message, as a library call that a long-running daemon
/// (mailseal-filterd) reuses: look up every recipient's key, ask spamd for a verdict, put the
/// verdict on the outer header, scrub the header if asked, then hand back to Postfix one copy
/// per local recipient encrypted to that recipient's key alone, and one unchanged copy for
/// everyone else. Every copy is re-injected through <see cref="Reinjector"/> and the final
/// dots are held until all copies are completely written: any failure before that queues
/// nothing and surfaces as a <see cref="MailsealException"/> (exit 75, Postfix keeps the
/// original). Plaintext is never written to disk: the message streams from the input into the
/// SMTP dialogues and the encryptors; only ciphertext may be spooled.
/// </summary>
public sealed class MessageProcessor
{
    private const string SpamCheckHeader = "X-Mailseal-Spam-Check";
    private readonly PipeOptions _options;
    private readonly IKeyDirectory _keys;
    private readonly MessageEncryptor _encryptor;
    private readonly IReinjector _reinjector;
    private readonly SpamdClient? _spamd;
    private readonly HeaderScrubber? _scrubber;

    /// <summary>Creates a processor; settings are checked now so a bad value fails at start-up.</summary>
    public MessageProcessor(PipeOptions options, IKeyDirectory keys, IContentEncryptor? contentEncryptor = null)
        : this(options, keys, contentEncryptor, null)
    {
    }

    /// <summary>Creates a processor that re-injects through <paramref name="reinjector"/> (tests; null = <see cref="Reinjector"/>).</summary>
    internal MessageProcessor(PipeOptions options, IKeyDirectory keys, IContentEncryptor? contentEncryptor, IReinjector? reinjector)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(keys);
        _options = options;
        _keys = keys;
        _encryptor = new MessageEncryptor(contentEncryptor ?? new PgpContentEncryptor());
        _reinjector = reinjector ?? new Reinjector(options.Reinject);
        _spamd = options.SpamCheck ? new SpamdClient(options.Spamd) : null;
        _scrubber = options.Scrub is null ? null : new HeaderScrubber(options.Scrub, options.Limits);
        if (options.SpamSubjectTag.Any(c => c < 0x20 || c >= 0x7F))
            throw new ArgumentException("spam_subject_tag must be printable ASCII", nameof(options));
    }

    /// <summary>Processes one message read from <paramref name="input"/> to its end.</summary>
    /// <param name="input">The message as Postfix hands it over.</param>
    /// <param name="sender">The envelope sender (empty for the null sender).</param>
    /// <param name="recipients">The envelope recipients.</param>
    /// <param name="cancellationToken">Cancels everything; nothing is queued then.</param>
    /// <exception cref="MailsealException">Nothing was queued; the exit code and status say why.</exception>
    public Task<ProcessResult> ProcessAsync(Stream input, string sender, IReadOnlyList<string> recipients, CancellationToken cancellationToken) =>
        ProcessAsync(input, sender, recipients, null, cancellationToken);

    /// <summary>
    /// Processes one message read from <paramref name="input"/> to its end, re-injecting every
    /// copy with the original client's XFORWARD attributes (mailseal-filterd).
    /// </summary>
    /// <param name="input">The message as Postfix hands it over.</param>
    /// <param name="sender">The envelope sender (empty for the null sender).</param>
    /// <param name="recipients">The envelope recipients.</param>
    /// <param name="forward">The original client's attributes, or null.</param>
    /// <param name="cancellationToken">Cancels everything; nothing is queued then.</param>
    /// <exception cref="MailsealException">Nothing was queued; the exit code and status say why.</exception>
    public Task<ProcessResult> ProcessAsync(Stream input, string sender, IReadOnlyList<string> recipients, XForward? forward, CancellationToken cancellationToken) =>
        ProcessAsync(input, sender, recipients, forward, null, cancellationToken);

    /// <summary>
    /// Processes one message read from <paramref name="input"/> to its end, re-injecting every
    /// copy with the original client's XFORWARD attributes and the transaction's DSN parameters
    /// (each copy's RCPT carries its own recipients' NOTIFY and ORCPT).
    /// </summary>
    /// <param name="input">The message as Postfix hands it over.</param>
    /// <param name="sender">The envelope sender (empty for the null sender).</param>
    /// <param name="recipients">The envelope recipients.</param>
    /// <param name="forward">The original client's attributes, or null.</param>
    /// <param name="dsn">RET, ENVID, NOTIFY and ORCPT as the client sent them, or null.</param>
    /// <param name="cancellationToken">Cancels everything; nothing is queued then.</param>
    /// <exception cref="MailsealException">Nothing was queued; the exit code and status say why.</exception>
    public async Task<ProcessResult> ProcessAsync(Stream input, string sender, IReadOnlyList<string> recipients, XForward? forward, DsnParameters? dsn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recipients);
        EnvelopeRecipients.Validate(recipients); // none, empty or not an address: a wiring mistake, deferred

        var copies = await PlanCopiesAsync(recipients, cancellationToken).ConfigureAwait(false);

        var read = await MimeHeaderReader.ReadAsync(input, _options.Limits, cancellationToken).ConfigureAwait(false);
        SpamVerdict? verdict = null;
        string? spamNote = null;
        var scrubbed = new List<string>();
        Stream message;
        if (read.Block.Status == HeaderBlockStatus.LimitExceeded)
        {
            // The header cannot be edited safely: the message goes on as it came (and is encrypted whole).
            spamNote = "header block over a MIME limit: not checked, not scrubbed";
            message = ConcatenatedReadStream.WithPrefixes(input, read.HeaderBytes);
        }
        else
        {
            ReadOnlyMemory<byte> extra = ReadOnlyMemory<byte>.Empty;
            if (_spamd is not null)
                (verdict, spamNote, extra) = await CheckSpamAsync(read, input, cancellationToken).ConfigureAwait(false);
            byte[] header = BuildHeader(read.Block, verdict, spamNote, scrubbed);
            message = ConcatenatedReadStream.WithPrefixes(input, header, read.Block.Separator, read.BodyPrefix, extra);
        }

        await using (message.ConfigureAwait(false))
        {
            var outcomes = await DeliverAsync(message, sender, copies, forward, dsn, cancellationToken).ConfigureAwait(false);
            return new ProcessResult(outcomes, verdict, spamNote, scrubbed);
        }
    }

    private async Task<List<Copy>> PlanCopiesAsync(IReadOnlyList<string> recipients, CancellationToken ct)
    {
        var copies = new List<Copy>();
        var plain = new List<(string Address, string Reason)>();
        foreach (string r in recipients.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var found = await _keys.LookupAsync(r, ct).ConfigureAwait(false);
            if (found.Recipient is { } key)
            {
                copies.Add(new Copy([r], key, null));
                continue;
            }

            if (!found.IsLocal)
            {
                plain.Add((r, "not local"));
                continue;
            }

            string reason = found.Reason ?? $"no usable key for {r}";
            switch (_options.MissingKey)
            {
                case MissingKeyPolicy.Pass:
                    plain.Add((r, reason + "; missing_key = pass"));
                    break;
                case MissingKeyPolicy.Bounce:
                    throw new MailsealException(reason, "5.7.5", isTransient: false, ExitCodes.NoUser, null);
                default:
                    throw new MailsealException(reason, "4.7.5", isTransient: true, ExitCodes.TempFail, null);
            }
        }

        if (plain.Count > 0)
            copies.Add(new Copy(plain.Select(p => p.Address).ToList(), null, string.Join("; ", plain.Select(p => p.Reason).Distinct(StringComparer.Ordinal))));
        return copies;
    }

    private async Task<(SpamVerdict? Verdict, string? Note, ReadOnlyMemory<byte> Extra)> CheckSpamAsync(HeaderReadResult read, Stream input, CancellationToken ct)
    {
        int max = _options.Spamd.MaxMessageSize;
        long have = read.HeaderBytes.Length + read.BodyPrefix.Length;
        var extra = new MemoryStream();
        byte[] chunk = GC.AllocateUninitializedArray<byte>(64 * 1024);
        while (have + extra.Length <= max)
        {
            int want = (int)Math.Min(chunk.Length, max + 1 - have - extra.Length);
            int n = await input.ReadAsync(chunk.AsMemory(0, want), ct).ConfigureAwait(false);
            if (n == 0)
                break;
            await extra.WriteAsync(chunk.AsMemory(0, n), ct).ConfigureAwait(false);
        }

        var extraBytes = new ReadOnlyMemory<byte>(extra.GetBuffer(), 0, (int)extra.Length);
        if (have + extra.Length > max)
            return (null, $"skipped (message over spam_max_size, {max} bytes)", extraBytes);

        byte[] whole = new byte[have + extra.Length];
        read.HeaderBytes.CopyTo(whole);
        read.BodyPrefix.CopyTo(whole.AsMemory(read.HeaderBytes.Length));
        extraBytes.CopyTo(whole.AsMemory(read.HeaderBytes.Length + read.BodyPrefix.Length));
        try
        {
            var verdict = await _spamd!.CheckAsync(whole, ct).ConfigureAwait(false);
            return (verdict, null, extraBytes);
        }
        catch (SpamdException e) when (_options.SpamUnavailable == SpamUnavailablePolicy.Skip)
        {
            return (null, "skipped (spamd unavailable: " + e.Message + ")", extraBytes);
        }
        catch (SpamdException e)
        {
            throw new MailsealException("spam check failed: " + e.Message, "4.3.0", isTransient: true, ExitCodes.TempFail, e);
        }
    }

    private byte[] BuildHeader(HeaderBlock block, SpamVerdict? verdict, string? spamNote, List<string> scrubbed)
    {
        string nl = block.NewLine;
        var output = new MemoryStream();
        var changes = new List<ScrubChange>();
        IEnumerable<(Header Field, ReadOnlyMemory<byte> Bytes)> fields = _scrubber is null
            ? block.Headers.Select(h => (h, h.RawBytes))
            : _scrubber.ScrubFields(block, changes);
        bool tagSubject = verdict is { IsSpam: true } && _options.SpamSubjectTag.Length > 0;
        bool subjectSeen = false;
        foreach (var (field, bytes) in fields)
        {
            // Verdict fields that arrived with the message are dropped: only ours may be trusted.
            if (_spamd is not null && (field.HasPrefix("X-Spam-") || field.Is(SpamCheckHeader)))
                continue;
            if (tagSubject && !subjectSeen && field.Is("Subject"))
            {
                subjectSeen = true;
                Write(output, TagSubject(field, _options.SpamSubjectTag));
                continue;
            }

            Write(output, EnsureLineEnd(bytes, nl));
        }

        if (tagSubject && !subjectSeen)
            Write(output, Encoding.ASCII.GetBytes("Subject: " + _options.SpamSubjectTag + nl));
        if (verdict is not null)
        {
            foreach (string h in verdict.Headers)
                Write(output, Encoding.Latin1.GetBytes(nl == "\r\n" ? h : h.Replace("\r\n", nl, StringComparison.Ordinal)));
        }

        if (spamNote is not null)
            Write(output, Encoding.ASCII.GetBytes(SpamCheckHeader + ": " + spamNote.Replace('\r', ' ').Replace('\n', ' ') + nl));
        scrubbed.AddRange(changes.Select(c => c.Field + "=" + c.Action));
        return output.ToArray();
    }

    private static byte[] TagSubject(Header subject, string tag)
    {
        var value = subject.RawValue.Span;
        int skip = 0;
        while (skip < value.Length && value[skip] is (byte)' ' or (byte)'\t')
            skip++;
        byte[] prefix = Encoding.ASCII.GetBytes(subject.Name + ": " + tag + " ");
        var result = new byte[prefix.Length + value.Length - skip];
        prefix.CopyTo(result, 0);
        value[skip..].CopyTo(result.AsSpan(prefix.Length));
        return result;
    }

    private static ReadOnlyMemory<byte> EnsureLineEnd(ReadOnlyMemory<byte> field, string nl) =>
        field.Length > 0 && field.Span[^1] == (byte)'\n' ? field : Concat(field, Encoding.ASCII.GetBytes(nl));

    private static ReadOnlyMemory<byte> Concat(ReadOnlyMemory<byte> a, byte[] b)
    {
        var r = new byte[a.Length + b.Length];
        a.CopyTo(r);
        b.CopyTo(r, a.Length);
        return r;
    }

    private static void Write(MemoryStream output, ReadOnlyMemory<byte> bytes) => output.Write(bytes.Span);

    private async Task<IReadOnlyList<RecipientOutcome>> DeliverAsync(Stream message, string sender, List<Copy> copies, XForward? forward, DsnParameters? dsn, CancellationToken cancellationToken)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var gate = new CommitGate(copies.Count);
        var pipes = copies.Count == 1 ? null : copies.Select(_ => new Pipe(new System.IO.Pipelines.PipeOptions(
            pauseWriterThreshold: _options.FanOutBufferBytes, resumeWriterThreshold: _options.FanOutBufferBytes / 2, useSynchronizationContext: false))).ToList();

        var failures = new List<Exception>();
        void Fail(Exception e)
        {
            lock (failures)
                failures.Add(e);
            gate.Fail(e);
            abort.Cancel();
        }

        var sends = new List<Task<ReinjectResult>>();
        var results = new (MessageAction Action, long Size)[copies.Count];
        for (int i = 0; i < copies.Count; i++)
        {
            int index = i;
            var copy = copies[i];
            Stream source = pipes is null ? message : pipes[i].Reader.AsStream();
            var send = _reinjector.SendAsync(sender, copy.Recipients, async (smtp, ct) =>
            {
                try
                {
                    if (copy.Key is { } key)
                    {
                        var r = await _encryptor.EncryptAsync(source, smtp, [key], _options.Encryption, ct).ConfigureAwait(false);
                        results[index] = (r.Action, r.OutputBytes);
                    }
                    else
                    {
                        var counter = new CountingStream(smtp);
                        await source.CopyToAsync(counter, ct).ConfigureAwait(false);
                        results[index] = (MessageAction.AlreadyEncrypted, counter.Count);
                    }
                }
                catch (Exception e)
                {
                    Fail(e);
                    throw;
                }

                await gate.ArriveAsync(ct).ConfigureAwait(false);
            }, eightBit: true, forward, dsn, abort.Token);
            sends.Add(Observe(send, Fail));
        }

        Task producer = pipes is null ? Task.CompletedTask : FanOutAsync(message, pipes, abort.Token, Fail);
        try
        {
            await Task.WhenAll(sends.Append(producer)).ConfigureAwait(false);
        }
        catch (Exception) when (failures.Count > 0 || cancellationToken.IsCancellationRequested)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw Translate(RootCause(failures));
        }

        var outcomes = new List<RecipientOutcome>();
        for (int i = 0; i < copies.Count; i++)
        {
            var copy = copies[i];
            var reply = await sends[i].ConfigureAwait(false);
            string action = copy.Key is null ? "passed" : results[i].Action == MessageAction.Encrypted ? "encrypted" : "already-encrypted";
            string? fpr = copy.Key is null ? null : Convert.ToHexString(copy.Key.PrimaryFingerprint);
            foreach (string r in copy.Recipients)
                outcomes.Add(new RecipientOutcome(r, action, fpr, copy.PassReason, reply.QueueId, results[i].Size));
        }

        return outcomes;
    }

    private static async Task<ReinjectResult> Observe(Task<ReinjectResult> send, Action<Exception> fail)
    {
        try
        {
            return await send.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            fail(e);
            throw;
        }
    }

    private static async Task FanOutAsync(Stream message, List<Pipe> pipes, CancellationToken ct, Action<Exception> fail)
    {
        try
        {
            byte[] buffer = GC.AllocateUninitializedArray<byte>(64 * 1024);
            while (true)
            {
                int n = await message.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0)
                    break;
                foreach (var pipe in pipes)
                {
                    var flush = await pipe.Writer.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    if (flush.IsCanceled)
                        throw new OperationCanceledException(ct);
                }
            }

            foreach (var pipe in pipes)
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            foreach (var pipe in pipes)
                await pipe.Writer.CompleteAsync(e).ConfigureAwait(false);
            fail(e);
            throw;
        }
    }

    private static Exception RootCause(List<Exception> failures)
    {
        lock (failures)
        {
            // A copy that stopped because another failed reports cancellation; name the real cause.
            return failures.FirstOrDefault(e => e is not OperationCanceledException) ?? failures[0];
        }
    }

    private static MailsealException Translate(Exception e) => e switch
    {
        MailsealException m => m,
        ReinjectionException r => new MailsealException(r.Message, r.EnhancedStatus, isTransient: true, ExitCodes.TempFail, r),
        OpenPgpFormatException p => new MailsealException("cannot encrypt: " + p.Message, "4.7.5", isTransient: false, ExitCodes.TempFail, p),
        IOException io => new MailsealException("reading the message failed: " + io.Message, "4.3.0", isTransient: true, ExitCodes.TempFail, io),
        _ => new MailsealException(e.Message, "4.3.0", isTransient: true, ExitCodes.TempFail, e),
    };

    private sealed record Copy(IReadOnlyList<string> Recipients, EncryptionRecipient? Key, string? PassReason);
}
