using System.Text;
using Mailseal.Core.Mime;
using MimeKit;

namespace Mailseal.Core.Messages;

/// <summary>
/// Decides whether a body too large to hold in memory (over <see cref="MimeLimits.MaxClassifyBytes"/>)
/// is already encrypted, while it streams past, by the same rules as
/// <see cref="MessageClassifier.Classify"/>: every part of a multipart body (PGP/MIME, or PGP/MIME
/// mangled by Exchange) is the PGP/MIME version part, blank, or nothing but one ASCII-armored
/// OpenPGP message in an identity transfer encoding; a leaf body is one armored message; an
/// S/MIME body starts with an enveloped-data ContentInfo. Stricter where streaming needs it: no
/// nested multiparts. As there, a preamble holds at most a client's note (<see cref="PreambleCheck"/>), the epilogue is blank.
/// Once <see cref="Feed"/> returns false the body is not ciphertext: the caller must not pass
/// on, or store, anything more as if it were.
/// </summary>
internal sealed class StreamingClassifier
{
    private enum Section
    {
        Preamble,
        PartHeaders,
        PartBody,
        Epilogue,
    }

    private readonly string? _cte;
    private readonly MimeLimits _limits;
    private readonly ContentType _type;
    private readonly byte[]? _delimiter;
    private readonly byte[] _line;
    private readonly MemoryStream _partHeaderBytes = new();
    private readonly List<string> _kinds = [];
    private int _lineLength;
    private bool _invalid;
    private readonly byte[]? _smime;
    private int _smimeLength;
    private bool _smimeDecided;
    private Section _section;
    private readonly PreambleCheck _preamble = new();
    private int _partsLeft;
    private int _ciphertextParts;
    private bool _closed;

    // The part being read (or, for a leaf body, the body itself).
    private ContentType? _partType;
    private bool _partIdentity;
    private ArmorCheck _armor = new();
    private bool _partBlank = true;
    private int _partNonBlankLines;
    private byte[]? _partFirstLine;

    private StreamingClassifier(HeaderBlock headers, MimeLimits limits, ContentType type, string? boundary)
    {
        _limits = limits;
        _type = type;
        _delimiter = boundary is null ? null : Encoding.ASCII.GetBytes("--" + boundary);
        _line = GC.AllocateUninitializedArray<byte>(limits.MaxLineLength + 1);
        _partsLeft = limits.MaxParts;
        _partType = type;
        _cte = headers.Find("Content-Transfer-Encoding") is { } cte ? MimeFields.RawText(cte.RawValue.Span) : null;
        _partIdentity = MessageClassifier.IsIdentityEncoding(_cte);
        if (boundary is null && MessageClassifier.IsSmimeEnveloped(type, () => headers.GetContentDisposition(limits)))
            _smime = new byte[SmimeLookAhead];
    }

    /// <summary>Body bytes an S/MIME verdict needs: the start of the DER ContentInfo, base64 line breaks included.</summary>
    private const int SmimeLookAhead = 256;

    /// <summary>
    /// A classifier for a message whose header block leaves the body's classification open
    /// (<see cref="MessageClassifier.ClassifyByHeaders"/> returned null), or null when its kind of
    /// body cannot be checked while streaming (a body of unknown type).
    /// </summary>
    public static StreamingClassifier? TryStart(HeaderBlock headers, MimeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var type = headers.GetContentType(limits) ?? new ContentType("text", "plain");
        if (type.IsMimeType("multipart", "*"))
        {
            var boundary = type.Boundary;
            return boundary is null || boundary.Length is 0 or > MessageClassifier.MaxBoundaryLength || type.IsMimeType("multipart", "signed")
                ? null
                : new StreamingClassifier(headers, limits, type, boundary);
        }

        return new StreamingClassifier(headers, limits, type, null);
    }

    /// <summary>Takes the next bytes of the body. False once the body is known not to be ciphertext.</summary>
    public bool Feed(ReadOnlySpan<byte> data)
    {
        if (_invalid)
            return false;
        if (_smime is not null)
        {
            // The first bytes decide, as they do for a body held whole; the rest is the envelope's.
            if (!_smimeDecided)
            {
                int take = Math.Min(data.Length, _smime.Length - _smimeLength);
                data[..take].CopyTo(_smime.AsSpan(_smimeLength));
                _smimeLength += take;
                if (_smimeLength == _smime.Length)
                    DecideSmime();
            }

            return !_invalid;
        }

        while (!data.IsEmpty && !_invalid)
        {
            var nl = data.IndexOf((byte)'\n');
            var piece = nl < 0 ? data : data[..nl];
            if (_lineLength == 0 && nl >= 0 && piece.Length <= _line.Length)
            {
                // A whole line inside this block (the usual case): no copy.
                data = data[(nl + 1)..];
                Line(piece);
                continue;
            }

            if (_lineLength + piece.Length > _line.Length)
            {
                _invalid = true; // a line longer than MaxLineLength: not what armor or a part header looks like
                break;
            }

            piece.CopyTo(_line.AsSpan(_lineLength));
            _lineLength += piece.Length;
            if (nl < 0)
                break;
            data = data[(nl + 1)..];
            Line(_line.AsSpan(0, _lineLength));
            _lineLength = 0;
        }

        return !_invalid;
    }

    /// <summary>The verdict once the whole body went through <see cref="Feed"/>.</summary>
    public MessageClassification Finish()
    {
        if (!_invalid && _lineLength > 0)
        {
            Line(_line.AsSpan(0, _lineLength));
            _lineLength = 0;
        }

        if (_smime is not null && !_smimeDecided)
            DecideSmime();
        if (_invalid)
            return new(false, "plaintext");
        if (_smime is not null)
            return new(true, "S/MIME enveloped");
        if (_delimiter is null)
            return IsArmoredLeaf() ? new(true, "inline PGP") : new(false, "plaintext");
        if (!_closed || _ciphertextParts == 0)
            return new(false, "plaintext");
        var kind = MessageClassifier.IsPgpMime(_type) ? "PGP/MIME"
            : _type.IsMimeType("multipart", "mixed") && _kinds.Contains("application/pgp-encrypted") && _kinds.Contains("application/octet-stream")
                ? "PGP/MIME mangled by Exchange"
                : "inline PGP";
        return new(true, kind);
    }

    private void DecideSmime()
    {
        _smimeDecided = true;
        _invalid = !MessageClassifier.IsCmsEnvelope(_cte, _smime.AsSpan(0, _smimeLength));
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (_delimiter is null)
        {
            BodyLine(line);
            return;
        }

        var trimmed = line.TrimEnd(" \t\r"u8);
        bool isDelimiter = trimmed.StartsWith(_delimiter) && (trimmed.Length == _delimiter.Length || trimmed[_delimiter.Length..].SequenceEqual("--"u8));
        bool isClose = isDelimiter && trimmed.Length > _delimiter.Length;
        switch (_section)
        {
            case Section.Preamble:
                if (isClose)
                    _invalid = true;
                else if (isDelimiter)
                    StartPart();
                else if (!_preamble.Accept(line))
                    _invalid = true;
                break;
            case Section.PartHeaders:
                if (isDelimiter)
                {
                    _invalid = true; // a part without the blank line after its header fields
                    break;
                }

                _partHeaderBytes.Write(line);
                _partHeaderBytes.WriteByte((byte)'\n');
                if (_partHeaderBytes.Length > _limits.MaxHeaderBlockSize)
                    _invalid = true;
                else if (trimmed.IsEmpty)
                    EndPartHeaders();
                break;
            case Section.PartBody:
                if (!isDelimiter)
                {
                    BodyLine(line);
                    break;
                }

                EndPart();
                if (isClose)
                {
                    _closed = true;
                    _section = Section.Epilogue;
                }
                else
                {
                    StartPart();
                }

                break;
            case Section.Epilogue:
                if (!trimmed.IsEmpty)
                    _invalid = true;
                break;
        }
    }

    private void StartPart()
    {
        if (--_partsLeft < 0)
        {
            _invalid = true;
            return;
        }

        _partHeaderBytes.SetLength(0);
        _section = Section.PartHeaders;
    }

    private void EndPartHeaders()
    {
        // The part's fields, split and parsed by MimeKit as in the in-memory check (MultipartCheck).
        var bytes = _partHeaderBytes.GetBuffer().AsSpan(0, (int)_partHeaderBytes.Length);
        var headers = PartHeaderCheck.ReadAllowed(bytes, _limits);
        if (headers is null)
        {
            _invalid = true;
            return;
        }

        var ct = headers.IndexOf(HeaderId.ContentType);
        _partType = ct < 0 ? null : MimeFields.ParseContentType(headers[ct].RawValue, _limits);
        if (_partType is not null && _partType.IsMimeType("multipart", "*"))
        {
            _invalid = true; // nested multiparts are only checked when the body is held whole
            return;
        }

        _kinds.Add(_partType?.MimeType.ToLowerInvariant() ?? "text/plain");
        var cte = headers.IndexOf(HeaderId.ContentTransferEncoding);
        _partIdentity = MessageClassifier.IsIdentityEncoding(cte < 0 ? null : MimeFields.RawText(headers[cte].RawValue));
        _armor = new ArmorCheck();
        _partBlank = true;
        _partNonBlankLines = 0;
        _partFirstLine = null;
        _section = Section.PartBody;
    }

    private void BodyLine(ReadOnlySpan<byte> line)
    {
        _armor.Accept(line);
        if (MessageClassifier.IsBlank(line))
            return;
        _partBlank = false;
        if (++_partNonBlankLines == 1 && line.Length <= 64)
            _partFirstLine = line.ToArray();
        if (_delimiter is null && !_armor.IsPossible)
            _invalid = true; // a leaf body is armor or nothing
    }

    private void EndPart()
    {
        bool versionPart = _partType is not null && _partType.IsMimeType("application", "pgp-encrypted")
            && _partNonBlankLines == 1 && _partFirstLine is not null && MessageClassifier.IsVersionMarker(_partFirstLine);
        bool blankText = (_partType is null || _partType.IsMimeType("text", "*")) && _partBlank;
        if (versionPart || blankText)
            return;
        if (IsArmoredLeaf())
            _ciphertextParts++;
        else
            _invalid = true;
    }

    private bool IsArmoredLeaf() =>
        (_partType is null || _partType.IsMimeType("text", "*") || _partType.IsMimeType("application", "octet-stream") || _partType.IsMimeType("application", "pgp-encrypted"))
        && _partIdentity && _armor.IsComplete;
}
