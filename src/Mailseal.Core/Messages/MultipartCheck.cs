using System.Text;
using Mailseal.Core.Mime;
using MimeKit;
using MimeKit.IO;
using MimeHeader = MimeKit.Header;

namespace Mailseal.Core.Messages;

/// <summary>
/// Decides whether a multipart body held in memory (at most <see cref="MimeLimits.MaxClassifyBytes"/>)
/// holds nothing but ciphertext, with MimeKit's <see cref="MimeReader"/> finding the structure:
/// boundaries, nesting, part header fields, preamble, epilogue. The rules are ours
/// (<see cref="MessageClassifier"/>): every part is the PGP/MIME version part, a blank text
/// part, an S/MIME envelope or one armored OpenPGP message in an identity transfer encoding;
/// part header fields as clients write them (<see cref="PartHeaderCheck"/>); every multipart
/// closed, its preamble a client's note (<see cref="PreambleCheck"/>), its epilogue blank, its
/// delimiter lines nothing but the delimiter and transport padding.
/// <para>
/// Why <see cref="MimeReader"/> and not <see cref="MimeParser"/>: the parser builds a tree of
/// entities, and a 4 MiB body of a million empty parts (or one part of a million one-byte
/// header fields) would become hundreds of megabytes of objects; the reader raises events and
/// keeps nothing, and it reports what the parser hides (the offsets of each part's content,
/// preamble and epilogue in the buffer, whether a multipart was closed, the delimiter lines as
/// written), so each check runs on the message's own bytes. The limits MimeKit does not have
/// (parts, header fields per part, part header size) are counted here; once the answer is
/// known the input ends early, so a hostile body costs no more than one pass.
/// </para>
/// </summary>
internal sealed class MultipartCheck : MimeReader
{
    private sealed class Frame(ContentType type)
    {
        public ContentType Type { get; } = type;
        public bool Closed { get; set; }
        public bool PreambleAllowed { get; set; } = true;
        public bool EpilogueBlank { get; set; } = true;
        public int Ciphertext { get; set; }
        public List<string> Kinds { get; } = [];
    }

    private readonly MimeLimits _limits;
    private readonly Input _input;
    private readonly Stack<Frame> _frames = new();
    private readonly List<MimeHeader> _headers = [];
    private bool _headersAllowed;
    private int _headerCount;
    private int _parts;
    private ContentType? _leafType;
    private List<MimeHeader> _leafHeaders = [];
    private long _contentBegin;
    private long _contentEnd;
    private MessageClassification? _verdict;

    private MultipartCheck(MimeLimits limits, Input input)
        : base(MimeFields.OptionsFor(limits), input, MimeFormat.Entity)
    {
        _limits = limits;
        _input = input;
    }

    /// <summary>
    /// Classifies <paramref name="body"/> under the message's Content-Type field (its raw value,
    /// as our header reader captured it from the pipe): MimeKit reads an entity made of that one
    /// field, a blank line and the body, so the header block stays the one our reader split off.
    /// </summary>
    public static MessageClassification Classify(ReadOnlyMemory<byte> contentTypeRawValue, ReadOnlyMemory<byte> body, MimeLimits limits)
    {
        var header = new byte[13 + contentTypeRawValue.Length + 2];
        "Content-Type:"u8.CopyTo(header);
        contentTypeRawValue.Span.CopyTo(header.AsSpan(13));
        var length = 13 + contentTypeRawValue.Length;
        if (contentTypeRawValue.IsEmpty || contentTypeRawValue.Span[^1] != (byte)'\n')
            header[length++] = (byte)'\n';
        header[length++] = (byte)'\n';
        var input = new Input(header.AsMemory(0, length), body);
        var check = new MultipartCheck(limits, input);
        check.ReadEntity();
        return check._verdict ?? new(false, "plaintext");
    }

    private ReadOnlySpan<byte> Body(long begin, long end)
    {
        var offset = _input.HeaderLength;
        var b = (int)Math.Clamp(begin - offset, 0, _input.Body.Length);
        var e = (int)Math.Clamp(end - offset, b, _input.Body.Length);
        return _input.Body.Span[b..e];
    }

    /// <summary>The answer is known: stop reading (the input reports its end) and ignore what follows.</summary>
    private void Decide(MessageClassification verdict)
    {
        _verdict ??= verdict;
        _input.Stop();
    }

    private void Plaintext() => Decide(new(false, "plaintext"));

    private void Limit(string reason) => Decide(new(false, "encrypted whole: " + reason));

    /// <inheritdoc/>
    protected override void OnHeadersBegin(long beginOffset, int beginLineNumber, CancellationToken cancellationToken)
    {
        _headers.Clear();
        _headerCount = 0;
        _headersAllowed = true;
    }

    /// <inheritdoc/>
    protected override void OnHeaderRead(MimeHeader header, int beginLineNumber, CancellationToken cancellationToken)
    {
        if (_frames.Count == 0)
            return; // the entity's own header: the one Content-Type field we gave
        if (++_headerCount > _limits.MaxHeaderCount)
            Plaintext(); // a part no client writes: no need to read its million fields
        else
            _headers.Add(header);
    }

    /// <inheritdoc/>
    protected override void OnHeadersEnd(long beginOffset, int beginLineNumber, long endOffset, int endLineNumber, CancellationToken cancellationToken)
    {
        if (_frames.Count == 0)
            return; // the entity's own header: the one Content-Type field we gave
        var raw = Body(beginOffset, endOffset);
        if (raw.Length > _limits.MaxHeaderBlockSize || PartHeaderCheck.HasBareCr(raw))
            _headersAllowed = false;
    }

    /// <summary>A body part begins: counted, and its header fields checked. False when the answer is now known.</summary>
    private bool BeginPart(ContentType type)
    {
        if (_verdict is not null)
            return false;
        if (++_parts > _limits.MaxParts)
        {
            Limit($"more than {_limits.MaxParts} parts");
            return false;
        }

        if (!_headersAllowed || !PartHeaderCheck.IsAllowed(_headers, _limits))
        {
            Plaintext();
            return false;
        }

        _frames.Peek().Kinds.Add(type.MimeType.ToLowerInvariant());
        return true;
    }

    /// <inheritdoc/>
    protected override void OnMultipartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken)
    {
        if (_frames.Count > 0 && !BeginPart(contentType))
            return;
        if (_verdict is not null)
            return;
        if (contentType.IsMimeType("multipart", "signed"))
        {
            Plaintext();
            return;
        }

        if (_frames.Count + 1 > _limits.MaxMimeDepth)
        {
            Limit($"MIME depth over {_limits.MaxMimeDepth}");
            return;
        }

        if (contentType.Boundary is not { Length: > 0 and <= MessageClassifier.MaxBoundaryLength })
        {
            Plaintext();
            return;
        }

        _frames.Push(new Frame(contentType));
    }

    /// <inheritdoc/>
    protected override void OnMultipartPreambleEnd(long beginOffset, int beginLineNumber, long endOffset, int lines, CancellationToken cancellationToken)
    {
        if (_verdict is null && _frames.TryPeek(out var frame))
            frame.PreambleAllowed = PreambleCheck.IsAllowedPreamble(Body(beginOffset, endOffset));
    }

    /// <inheritdoc/>
    protected override void OnMultipartBoundaryEnd(long beginOffset, int lineNumber, long endOffset, CancellationToken cancellationToken)
    {
        if (_verdict is null && _frames.TryPeek(out var frame) && !IsDelimiterLine(Body(beginOffset, endOffset), frame.Type.Boundary, closing: false))
            Plaintext();
    }

    /// <inheritdoc/>
    protected override void OnMultipartEndBoundaryEnd(long beginOffset, int lineNumber, long endOffset, CancellationToken cancellationToken)
    {
        if (_verdict is not null || !_frames.TryPeek(out var frame))
            return;
        if (IsDelimiterLine(Body(beginOffset, endOffset), frame.Type.Boundary, closing: true))
            frame.Closed = true;
        else
            Plaintext();
    }

    /// <inheritdoc/>
    protected override void OnMultipartEpilogueEnd(long beginOffset, int beginLineNumber, long endOffset, int lines, CancellationToken cancellationToken)
    {
        if (_verdict is null && _frames.TryPeek(out var frame))
            frame.EpilogueBlank = MessageClassifier.IsBlank(Body(beginOffset, endOffset));
    }

    /// <inheritdoc/>
    protected override void OnMultipartEnd(ContentType contentType, long beginOffset, int beginLineNumber, long headersEndOffset, long endOffset, int lines, CancellationToken cancellationToken)
    {
        if (_verdict is not null || !_frames.TryPop(out var frame))
            return;

        // Text around the parts is stored as it is when the message passes unchanged: a
        // preamble that is more than a client's note, or any epilogue, makes it plaintext (the
        // same rules as StreamingClassifier); so does a multipart never closed.
        if (!frame.Closed || !frame.PreambleAllowed || !frame.EpilogueBlank)
        {
            Plaintext();
            return;
        }

        if (_frames.TryPeek(out var parent))
        {
            parent.Ciphertext += frame.Ciphertext;
            return;
        }

        if (frame.Ciphertext == 0)
        {
            Plaintext();
            return;
        }

        var kind = MessageClassifier.IsPgpMime(frame.Type) ? "PGP/MIME"
            : frame.Type.IsMimeType("multipart", "mixed") && frame.Kinds.Contains("application/pgp-encrypted") && frame.Kinds.Contains("application/octet-stream")
                ? "PGP/MIME mangled by Exchange"
                : "inline PGP";
        Decide(new(true, kind));
    }

    /// <inheritdoc/>
    protected override void OnMessagePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken)
    {
        // An attached message is never ciphertext (an encrypted one is its own part type).
        if (BeginPart(contentType))
            Plaintext();
    }

    /// <inheritdoc/>
    protected override void OnMimePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken)
    {
        if (_frames.Count == 0)
        {
            Plaintext(); // only a multipart entity is given to this check
            return;
        }

        if (!BeginPart(contentType))
            return;
        _leafType = contentType;
        _leafHeaders = [.. _headers];
        _contentBegin = _contentEnd = 0;
    }

    /// <inheritdoc/>
    protected override void OnMimePartContentEnd(long beginOffset, int beginLineNumber, long endOffset, int lines, NewLineFormat? newLineFormat, CancellationToken cancellationToken)
    {
        _contentBegin = beginOffset;
        _contentEnd = endOffset;
    }

    /// <inheritdoc/>
    protected override void OnMimePartEnd(ContentType contentType, long beginOffset, int beginLineNumber, long headersEndOffset, long endOffset, int lines, CancellationToken cancellationToken)
    {
        if (_verdict is not null || _leafType is null || !_frames.TryPeek(out var frame))
            return;
        var type = _leafType;
        _leafType = null;
        var content = _contentEnd > _contentBegin ? Body(_contentBegin, _contentEnd) : [];
        if (type.IsMimeType("application", "pgp-encrypted") && MessageClassifier.IsVersionMarker(content))
            return; // the PGP/MIME version part holds no content
        if (type.IsMimeType("text", "*") && MessageClassifier.IsBlank(content))
            return; // an empty text part (Exchange adds one) holds no content
        if (IsCiphertextLeaf(type, _leafHeaders, content, _limits))
            frame.Ciphertext++;
        else
            Plaintext();
    }

    /// <summary>A leaf part that is an S/MIME envelope, or nothing but one armored OpenPGP message in an identity transfer encoding.</summary>
    private static bool IsCiphertextLeaf(ContentType type, List<MimeHeader> headers, ReadOnlySpan<byte> content, MimeLimits limits)
    {
        string? cte = null;
        ContentDisposition? disposition = null;
        foreach (var h in headers)
        {
            if (cte is null && h.Id == HeaderId.ContentTransferEncoding)
                cte = MimeFields.RawText(h.RawValue);
            else if (disposition is null && h.Id == HeaderId.ContentDisposition)
                disposition = MimeFields.ParseContentDisposition(h.RawValue, limits);
        }

        if (MessageClassifier.IsSmimeEnveloped(type, () => disposition))
            return MessageClassifier.IsCmsEnvelope(cte, content);
        if (!type.IsMimeType("text", "*") && !type.IsMimeType("application", "octet-stream") && !type.IsMimeType("application", "pgp-encrypted"))
            return false;
        return MessageClassifier.IsIdentityEncoding(cte) && ArmorCheck.IsOnlyPgpMessage(content);
    }

    /// <summary>
    /// A delimiter line as MimeKit found it holds the delimiter ("--" boundary, "--" after it when
    /// closing) and transport padding only: text after a delimiter would be stored in the clear.
    /// </summary>
    private static bool IsDelimiterLine(ReadOnlySpan<byte> line, string? boundary, bool closing)
    {
        if (boundary is null)
            return false;
        var expected = Encoding.Latin1.GetBytes("--" + boundary + (closing ? "--" : string.Empty));
        return line.TrimEnd(" \t\r\n"u8).SequenceEqual(expected);
    }

    /// <summary>
    /// The entity MimeKit reads: the header we give, then the body, both in memory. Once the
    /// answer is known it reports the end of the input, so the reader stops after its current block.
    /// </summary>
    private sealed class Input(ReadOnlyMemory<byte> header, ReadOnlyMemory<byte> body) : Stream
    {
        private long _position;
        private bool _stopped;

        public int HeaderLength => header.Length;

        public ReadOnlyMemory<byte> Body => body;

        public void Stop() => _stopped = true;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => header.Length + body.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_stopped)
                return 0;
            var n = 0;
            if (_position < header.Length)
            {
                var part = header.Span[(int)_position..];
                n = Math.Min(part.Length, buffer.Length);
                part[..n].CopyTo(buffer);
            }
            else
            {
                var part = body.Span[(int)Math.Min(_position - header.Length, body.Length)..];
                n = Math.Min(part.Length, buffer.Length);
                part[..n].CopyTo(buffer);
            }

            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
