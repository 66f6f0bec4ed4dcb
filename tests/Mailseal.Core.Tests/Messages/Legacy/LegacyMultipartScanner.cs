using Mailseal.Core.Mime;
namespace Mailseal.Core.Tests.Messages.Legacy;

/// <summary>
/// A forward-only scanner over a multipart body (RFC 2046 section 5.1.1) held in memory: each
/// call returns the next body part (its header block and body), never looking back. The line
/// break before a delimiter belongs to the delimiter. Malformed input (no closing delimiter,
/// text after it, junk after a boundary) is tolerated and reported through
/// <see cref="IsWellFormed"/>, never thrown.
/// </summary>
internal sealed class LegacyMultipartScanner
{
    /// <summary>RFC 2046: a boundary is 1 to 70 characters.</summary>
    public const int MaxBoundaryLength = 70;

    private readonly ReadOnlyMemory<byte> _body;
    private readonly byte[] _delimiter;
    private int _position;
    private bool _started;

    /// <summary>Starts scanning <paramref name="body"/> for parts separated by <paramref name="boundary"/>.</summary>
    public LegacyMultipartScanner(ReadOnlyMemory<byte> body, string boundary)
    {
        ArgumentNullException.ThrowIfNull(boundary);
        if (boundary.Length is 0 or > MaxBoundaryLength)
            throw new ArgumentException($"a boundary is 1 to {MaxBoundaryLength} characters", nameof(boundary));
        _body = body;
        _delimiter = System.Text.Encoding.Latin1.GetBytes("--" + boundary);
    }

    /// <summary>True once the closing delimiter ("--boundary--") has been read.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>False when the body did not follow RFC 2046: no first delimiter or no closing delimiter.</summary>
    public bool IsWellFormed { get; private set; } = true;

    /// <summary>Bytes before the first delimiter line (the preamble), once scanning started.</summary>
    public int PreambleLength { get; private set; }

    /// <summary>The bytes after the closing delimiter line (the epilogue); empty until it was read.</summary>
    public ReadOnlyMemory<byte> Epilogue => IsClosed && IsWellFormed ? _body[Math.Min(_position, _body.Length)..] : ReadOnlyMemory<byte>.Empty;

    /// <summary>The next part's bytes (its headers and body), or false at the end.</summary>
    public bool TryReadNextPart(out ReadOnlyMemory<byte> part)
    {
        part = default;
        if (IsClosed)
            return false;
        if (!_started)
        {
            _started = true;
            var first = FindDelimiter(_position, out _, out var afterFirst, out var closing);
            PreambleLength = Math.Max(first, 0);
            if (first < 0)
            {
                IsWellFormed = false;
                IsClosed = true;
                return false;
            }

            _position = afterFirst;
            if (closing)
            {
                IsClosed = true;
                return false;
            }
        }

        if (_position >= _body.Length)
        {
            IsWellFormed = false;
            IsClosed = true;
            return false;
        }

        var next = FindDelimiter(_position, out var partEnd, out var after, out var isClosing);
        if (next < 0)
        {
            // No further delimiter: the part runs to the end and the body is not closed.
            part = _body[_position..];
            _position = _body.Length;
            IsWellFormed = false;
            IsClosed = true;
            return true;
        }

        part = _body[_position..partEnd];
        _position = after;
        if (isClosing)
            IsClosed = true;
        return true;
    }

    /// <summary>
    /// Finds the next delimiter line at or after <paramref name="from"/>. Returns its index (the
    /// first '-'), the end of the preceding part (before the line break that belongs to the
    /// delimiter), and the index after the delimiter line.
    /// </summary>
    private int FindDelimiter(int from, out int partEnd, out int after, out bool closing)
    {
        var span = _body.Span;
        var p = from;
        while (p <= span.Length - _delimiter.Length)
        {
            var atLineStart = p == 0 || span[p - 1] == (byte)'\n';
            if (atLineStart && span[p..].StartsWith(_delimiter))
            {
                var q = p + _delimiter.Length;
                closing = span.Length - q >= 2 && span[q] == (byte)'-' && span[q + 1] == (byte)'-';
                if (closing)
                    q += 2;
                // Only transport padding may follow the boundary on its line.
                var lineEnd = q;
                while (lineEnd < span.Length && span[lineEnd] is (byte)' ' or (byte)'\t' or (byte)'\r')
                    lineEnd++;
                if (lineEnd == span.Length || span[lineEnd] == (byte)'\n' || closing)
                {
                    partEnd = p;
                    if (partEnd > from && span[partEnd - 1] == (byte)'\n')
                    {
                        partEnd--;
                        if (partEnd > from && span[partEnd - 1] == (byte)'\r')
                            partEnd--;
                    }

                    var nl = span[q..].IndexOf((byte)'\n');
                    after = nl < 0 ? span.Length : q + nl + 1;
                    return p;
                }
            }

            var nextLine = span[p..].IndexOf((byte)'\n');
            if (nextLine < 0)
                break;
            p += nextLine + 1;
        }

        partEnd = span.Length;
        after = span.Length;
        closing = false;
        return -1;
    }
}
