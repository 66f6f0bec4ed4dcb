using System.Security.Cryptography;
using System.Text;
using Mailseal.Core.IO;
using Mailseal.Core.Mime;
using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Messages;

/// <summary>
/// The message-encryption pipeline: reads one RFC 5322 message, and writes either the same
/// bytes (already encrypted) or an RFC 3156 PGP/MIME message whose encrypted part is the
/// original's Content-* fields plus its body, untouched. Memory is bounded: the header block
/// (<see cref="MimeLimits.MaxHeaderBlockSize"/>) and, for text and multipart bodies, a
/// classification look-ahead (<see cref="MimeLimits.MaxClassifyBytes"/>) are held; the rest of
/// the body streams through the encryptor. Nothing reaches <c>output</c> until the result is
/// complete: it is spooled (ciphertext only) first. A body beyond the look-ahead that starts
/// like ciphertext is checked as it streams (<see cref="StreamingClassifier"/>), so large
/// encrypted mail passes unchanged too. One instance serves any number of
/// messages, concurrently.
/// </summary>
public sealed class MessageEncryptor
{
    /// <summary>The preamble legacy readers show instead of the parts.</summary>
    public const string Preamble = "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)";

    /// <summary>The file name of the armored part, as Thunderbird writes it.</summary>
    public const string EncryptedPartName = "encrypted.asc";

    /// <summary>The outer Subject under <see cref="MessageEncryptionOptions.HideSubject"/>.</summary>
    public const string HiddenSubject = "...";

    private const int CopyBufferSize = 64 * 1024;

    // Transport and trace fields: added on the way, not by the author; not copied into the
    // protected header section (RFC 9788 protects what the composer wrote).
    private static readonly string[] TransportFields =
    [
        "Received", "Return-Path", "Delivered-To", "X-Original-To", "DKIM-Signature", "X-Original-DKIM-Signature",
        "ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results", "Authentication-Results", "Received-SPF",
    ];

    private readonly IContentEncryptor _encryptor;

    /// <summary>A pipeline that encrypts with <paramref name="encryptor"/>.</summary>
    public MessageEncryptor(IContentEncryptor encryptor)
    {
        ArgumentNullException.ThrowIfNull(encryptor);
        _encryptor = encryptor;
    }

    /// <summary>
    /// Reads the message from <paramref name="input"/> to its end and writes the result to
    /// <paramref name="output"/> (left open). Throws on I/O or encryption failure, in which
    /// case nothing was written to <paramref name="output"/>.
    /// </summary>
    public async Task<MessageEncryptionResult> EncryptAsync(Stream input, Stream output,
        IReadOnlyList<EncryptionRecipient> recipients, MessageEncryptionOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(options);
        if (recipients.Count == 0)
            throw new ArgumentException("at least one recipient is needed", nameof(recipients));
        var limits = options.Limits;
        limits.Validate();

        var read = await MimeHeaderReader.ReadAsync(input, limits, ct).ConfigureAwait(false);
        var block = read.Block;
        long inputBytes = read.HeaderBytes.Length + read.BodyPrefix.Length;
        using var spool = new CiphertextSpool(options.SpoolMemoryThreshold, options.SpoolDirectory);

        if (block.Status == HeaderBlockStatus.LimitExceeded)
        {
            inputBytes += await WriteEncryptedAsync(spool, block, recipients, options, wholeMessage: true,
                read.HeaderBytes, input, ct).ConfigureAwait(false);
            return await FinishAsync(spool, output, MessageAction.Encrypted,
                "encrypted whole as message/rfc822: " + block.LimitReason, inputBytes, ct).ConfigureAwait(false);
        }

        var classification = MessageClassifier.ClassifyByHeaders(block, limits);
        var bodyPrefix = read.BodyPrefix;
        var restOfInput = input;
        if (classification is null)
        {
            // Text and multipart bodies may be inline PGP or Exchange-mangled PGP/MIME: look, if small enough.
            var (buffer, complete) = await ReadUpToAsync(input, read.BodyPrefix, limits.MaxClassifyBytes, ct).ConfigureAwait(false);
            inputBytes += buffer.Length - read.BodyPrefix.Length;
            bodyPrefix = buffer;
            if (complete)
            {
                classification = MessageClassifier.Classify(block, buffer, limits);
                restOfInput = Stream.Null;
            }
            else if (StreamingClassifier.TryStart(block, limits) is { } streaming && streaming.Feed(buffer.Span))
            {
                // Too large to hold, and ciphertext so far: check the rest as it streams into the spool.
                return await PassOnOrEncryptAsync(spool, output, read, buffer, input, streaming, recipients, options, inputBytes, ct).ConfigureAwait(false);
            }
            else
            {
                classification = new MessageClassification(false, "plaintext");
            }
        }

        if (classification.AlreadyEncrypted)
        {
            await spool.WriteAsync(read.HeaderBytes, ct).ConfigureAwait(false);
            await spool.WriteAsync(bodyPrefix, ct).ConfigureAwait(false);
            inputBytes += await CopyAsync(restOfInput, spool, ct).ConfigureAwait(false);
            return await FinishAsync(spool, output, MessageAction.AlreadyEncrypted, classification.Reason, inputBytes, ct).ConfigureAwait(false);
        }

        inputBytes += await WriteEncryptedAsync(spool, block, recipients, options, wholeMessage: false,
            bodyPrefix, restOfInput, ct).ConfigureAwait(false);
        return await FinishAsync(spool, output, MessageAction.Encrypted, classification.Reason, inputBytes, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A body over the classification look-ahead whose first part looked like ciphertext: the
    /// rest is checked as it is read, and only bytes the check accepted go to the spool (so no
    /// plaintext does). All of it accepted: the message passes unchanged. Otherwise it is
    /// encrypted after all, from the accepted bytes read back from the spool, the refused
    /// block and the rest of the input.
    /// </summary>
    private async Task<MessageEncryptionResult> PassOnOrEncryptAsync(CiphertextSpool spool, Stream output, HeaderReadResult read,
        ReadOnlyMemory<byte> prefix, Stream input, StreamingClassifier streaming, IReadOnlyList<EncryptionRecipient> recipients,
        MessageEncryptionOptions options, long inputBytes, CancellationToken ct)
    {
        await spool.WriteAsync(read.HeaderBytes, ct).ConfigureAwait(false);
        await spool.WriteAsync(prefix, ct).ConfigureAwait(false);
        long accepted = prefix.Length;
        var block = GC.AllocateUninitializedArray<byte>(64 * 1024);
        var refused = ReadOnlyMemory<byte>.Empty;
        int n;
        while ((n = await input.ReadAsync(block, ct).ConfigureAwait(false)) > 0)
        {
            inputBytes += n;
            if (!streaming.Feed(block.AsSpan(0, n)))
            {
                refused = block.AsMemory(0, n);
                break;
            }

            await spool.WriteAsync(block.AsMemory(0, n), ct).ConfigureAwait(false);
            accepted += n;
        }

        var verdict = refused.IsEmpty ? streaming.Finish() : new MessageClassification(false, "plaintext");
        if (verdict.AlreadyEncrypted)
            return await FinishAsync(spool, output, MessageAction.AlreadyEncrypted, verdict.Reason, inputBytes, ct).ConfigureAwait(false);

        using var encrypted = new CiphertextSpool(options.SpoolMemoryThreshold, options.SpoolDirectory);
        await using var body = new ConcatenatedReadStream(spool.ReadFrom(read.HeaderBytes.Length), ConcatenatedReadStream.Over(refused), input);
        long bodyBytes = await WriteEncryptedAsync(encrypted, read.Block, recipients, options, wholeMessage: false,
            ReadOnlyMemory<byte>.Empty, body, ct).ConfigureAwait(false);
        inputBytes += bodyBytes - accepted - refused.Length;
        return await FinishAsync(encrypted, output, MessageAction.Encrypted, verdict.Reason, inputBytes, ct).ConfigureAwait(false);
    }

    private static async Task<MessageEncryptionResult> FinishAsync(CiphertextSpool spool, Stream output, MessageAction action,
        string reason, long inputBytes, CancellationToken ct)
    {
        await spool.FlushAsync(ct).ConfigureAwait(false);
        var length = spool.Length;
        await spool.WriteToAsync(output, ct).ConfigureAwait(false);
        await output.FlushAsync(ct).ConfigureAwait(false);
        return new MessageEncryptionResult(action, reason, inputBytes, length);
    }

    /// <summary>
    /// Writes the PGP/MIME message to the spool. The inner entity is the original Content-*
    /// fields, the separator and <paramref name="bodyPrefix"/> then the rest of
    /// <paramref name="rest"/>; with <paramref name="wholeMessage"/> it is a message/rfc822
    /// entity holding every byte read. Returns the bytes read from <paramref name="rest"/>.
    /// </summary>
    private async Task<long> WriteEncryptedAsync(CiphertextSpool spool, HeaderBlock block,
        IReadOnlyList<EncryptionRecipient> recipients, MessageEncryptionOptions options, bool wholeMessage,
        ReadOnlyMemory<byte> bodyPrefix, Stream rest, CancellationToken ct)
    {
        var nl = block.NewLine;
        var boundary = "mailseal=_" + KernelRandom.GetHexString(24);
        var protect = (options.ProtectHeaders || options.HideSubject) && !wholeMessage;

        // Outer header section: everything but Content-* and MIME-Version, DKIM per policy.
        foreach (var h in block.Headers)
        {
            if (h.HasPrefix("Content-") || h.Is("MIME-Version"))
                continue;
            var outer = OuterField(h, options, nl);
            if (outer is not null)
                WriteField(spool, outer, nl);
        }

        WriteAscii(spool, "MIME-Version: 1.0" + nl);
        WriteAscii(spool, "Content-Type: multipart/encrypted;" + nl + " protocol=\"application/pgp-encrypted\";" + nl
            + " boundary=\"" + boundary + "\"" + nl);
        WriteAscii(spool, nl + Preamble + nl);
        WriteAscii(spool, "--" + boundary + nl
            + "Content-Type: application/pgp-encrypted" + nl
            + "Content-Description: PGP/MIME version identification" + nl
            + nl
            + "Version: 1" + nl
            + nl
            + "--" + boundary + nl
            + "Content-Type: application/octet-stream; name=\"" + EncryptedPartName + "\"" + nl
            + "Content-Description: OpenPGP encrypted message" + nl
            + "Content-Disposition: inline; filename=\"" + EncryptedPartName + "\"" + nl
            + nl);

        long read;
        var armor = new NewLineStream(spool, nl);
        await using (armor.ConfigureAwait(false))
        {
            var plain = _encryptor.OpenEncryptingStream(armor, recipients);
            await using (plain.ConfigureAwait(false))
            {
                if (wholeMessage)
                {
                    WriteAscii(plain, "Content-Type: message/rfc822" + nl + nl);
                }
                else
                {
                    if (protect)
                        WriteProtectedHeaders(plain, block, options, nl);
                    var hasContentType = false;
                    foreach (var h in block.Headers)
                    {
                        if (!h.HasPrefix("Content-"))
                            continue;
                        if (protect && h.Is("Content-Type") && !hasContentType)
                        {
                            hasContentType = true;
                            WriteField(plain, h.AppendToValue("; hp=\"cipher\"", nl), nl);
                            continue;
                        }

                        WriteField(plain, h, nl);
                    }

                    if (protect && !hasContentType)
                        WriteAscii(plain, "Content-Type: text/plain; hp=\"cipher\"" + nl);
                    if (block.Separator.IsEmpty)
                        WriteAscii(plain, nl);
                    else
                        await plain.WriteAsync(block.Separator, ct).ConfigureAwait(false);
                }

                await plain.WriteAsync(bodyPrefix, ct).ConfigureAwait(false);
                read = await CopyAsync(rest, plain, ct).ConfigureAwait(false);
            }

            await armor.FlushAsync(ct).ConfigureAwait(false);
            if (!armor.EndsWithNewLine)
                WriteAscii(spool, nl);
        }

        WriteAscii(spool, nl + "--" + boundary + "--" + nl);
        return read;
    }

    private static Header? OuterField(Header h, MessageEncryptionOptions options, string nl)
    {
        if (h.Is("DKIM-Signature"))
        {
            return options.DkimSignature switch
            {
                DkimSignaturePolicy.Drop => null,
                DkimSignaturePolicy.Keep => h,
                _ => h.Rename("X-Original-DKIM-Signature"),
            };
        }

        if (options.HideSubject && h.Is("Subject"))
            return Header.Create("Subject", HiddenSubject, nl);
        return h;
    }

    /// <summary>
    /// RFC 9788: the cryptographic payload's header section carries the author's header fields
    /// (the protected values), then one HP-Outer field per such field with the value the outer
    /// section shows, so a reader can tell what was exposed; Content-Type gets hp="cipher".
    /// </summary>
    private static void WriteProtectedHeaders(Stream plain, HeaderBlock block, MessageEncryptionOptions options, string nl)
    {
        var authored = block.Headers.Where(h => !h.HasPrefix("Content-") && !h.Is("MIME-Version") && !IsTransportField(h)).ToList();
        foreach (var h in authored)
            WriteField(plain, h, nl);
        foreach (var h in authored)
        {
            var outer = OuterField(h, options, nl);
            if (outer is null)
                continue;
            var value = outer.RawValue.Span;
            var prefix = Encoding.ASCII.GetBytes("HP-Outer: " + outer.Name + ":");
            plain.Write(prefix);
            plain.Write(value);
            if (value.IsEmpty || value[^1] != (byte)'\n')
                WriteAscii(plain, nl);
        }
    }

    private static bool IsTransportField(Header h)
    {
        foreach (var name in TransportFields)
        {
            if (h.Is(name))
                return true;
        }

        return h.HasPrefix("X-Spam-") || h.HasPrefix("X-Virus-");
    }

    private static void WriteField(Stream s, Header h, string nl)
    {
        s.Write(h.RawBytes.Span);
        if (!h.EndsWithNewLine)
            WriteAscii(s, nl);
    }

    private static void WriteAscii(Stream s, string text) => s.Write(Encoding.ASCII.GetBytes(text));

    private static async Task<long> CopyAsync(Stream from, Stream to, CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(CopyBufferSize);
        long total = 0;
        int n;
        while ((n = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            total += n;
        }

        return total;
    }

    /// <summary>Reads until <paramref name="limit"/> bytes are held or the input ends; complete = the input ended.</summary>
    private static async Task<(ReadOnlyMemory<byte> Buffer, bool Complete)> ReadUpToAsync(Stream input, ReadOnlyMemory<byte> prefix,
        int limit, CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(Math.Max(prefix.Length, Math.Min(limit, 64 * 1024)) + 1);
        prefix.CopyTo(buffer);
        var length = prefix.Length;
        while (length <= limit)
        {
            if (length == buffer.Length)
                Array.Resize(ref buffer, (int)Math.Min((long)limit + 1, buffer.Length * 2L));
            var n = await input.ReadAsync(buffer.AsMemory(length, buffer.Length - length), ct).ConfigureAwait(false);
            if (n == 0)
                return (buffer.AsMemory(0, length), true);
            length += n;
        }

        return (buffer.AsMemory(0, length), false);
    }
}
