using System.Text;

namespace Mailseal.Core.Mime;

/// <summary>
/// The one header-block parsing routine, over bytes already in memory. The stream reader
/// (<see cref="MimeHeaderReader"/>) feeds it its fixed buffer; the structure checks feed it a
/// body part. Line terminators, folding, NUL bytes and 8-bit bytes are kept as given.
/// </summary>
public static class HeaderParser
{
    /// <summary>
    /// The reason given for a header field with a CR that does not end a line. RFC 5322 forbids
    /// a bare CR; Postfix passes it through. Readers disagree on it: one that splits lines at LF
    /// only (this parser, Postfix) sees one long field, one that also splits at CR (Python's
    /// email package, several MUAs) sees more fields, a blank line and body text. Read either
    /// way, bytes a reader could show as body would stay outside the ciphertext, so such a block
    /// is not parsed on: the message is encrypted whole (as when a limit is reached), and only
    /// the fields before that line, which every reader agrees on, stay outside.
    /// </summary>
    internal const string BareCr = "a header field holds a bare CR (a CR not followed by LF, which RFC 5322 forbids)";

    /// <summary>Result of one parsing attempt.</summary>
    internal enum Outcome
    {
        Done,
        NeedMoreData,
    }

    /// <summary>
    /// Parses a complete header block from the start of <paramref name="data"/> (e.g. a body
    /// part). <paramref name="consumed"/> is the length of the block including its separator.
    /// </summary>
    public static HeaderBlock Parse(ReadOnlySpan<byte> data, MimeLimits limits, out int consumed)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _ = TryParse(data, isFinal: true, limits, out var block, out consumed);
        return block!;
    }

    /// <summary>
    /// One attempt: <see cref="Outcome.NeedMoreData"/> when <paramref name="isFinal"/> is false
    /// and the block might continue beyond <paramref name="data"/>.
    /// </summary>
    internal static Outcome TryParse(ReadOnlySpan<byte> data, bool isFinal, MimeLimits limits,
        out HeaderBlock? block, out int consumed)
    {
        var headers = new List<Header>();
        string? newLine = null;
        var p = 0;
        var currentStart = -1;
        var currentValueOffset = 0;
        string? currentName = null;
        block = null;
        consumed = 0;

        while (true)
        {
            if (p >= data.Length)
            {
                if (!isFinal)
                    return Outcome.NeedMoreData;
                Flush(data, p);
                return Finish(ReadOnlySpan<byte>.Empty, HeaderBlockStatus.Complete, null, p, out block, out consumed);
            }

            var rest = data[p..];
            var lf = rest.IndexOf((byte)'\n');
            int lineEnd;     // index of the terminator start (or end of data)
            int next;        // index after the terminator
            if (lf < 0)
            {
                if (!isFinal)
                {
                    if (rest.Length > limits.MaxLineLength)
                        return Limit($"a header line is longer than {limits.MaxLineLength} bytes", out block, out consumed);
                    if (data.Length > limits.MaxHeaderBlockSize)
                        return Limit($"the header block is larger than {limits.MaxHeaderBlockSize} bytes", out block, out consumed);
                    return Outcome.NeedMoreData;
                }

                lineEnd = data.Length;
                next = data.Length;
            }
            else
            {
                next = p + lf + 1;
                lineEnd = lf > 0 && rest[lf - 1] == (byte)'\r' ? p + lf - 1 : p + lf;
                newLine ??= lineEnd == p + lf ? "\n" : "\r\n";
            }

            var line = data[p..lineEnd];
            if (line.Length > limits.MaxLineLength)
                return Limit($"a header line is longer than {limits.MaxLineLength} bytes", out block, out consumed);

            if (line.IsEmpty && lf >= 0)
            {
                // The blank line: a header just before it is complete only if no continuation can follow, and none can.
                Flush(data, p);
                return Finish(data[p..next], HeaderBlockStatus.Complete, null, next, out block, out consumed);
            }

            if (line[0] is (byte)' ' or (byte)'\t')
            {
                if (currentName is null)
                {
                    // A continuation with nothing to continue: the body starts here.
                    return Finish(ReadOnlySpan<byte>.Empty, HeaderBlockStatus.Complete, null, p, out block, out consumed);
                }

                if (line.Contains((byte)'\r'))
                    return Limit(BareCr, out block, out consumed);
            }
            else
            {
                var name = ReadName(line, out var colon);
                if (name is null)
                {
                    // Neither a field nor a continuation: the body starts at this line, without a separator.
                    Flush(data, p);
                    return Finish(ReadOnlySpan<byte>.Empty, HeaderBlockStatus.Complete, null, p, out block, out consumed);
                }

                if (line.Contains((byte)'\r'))
                {
                    // Only the fields before this one are reported as fields.
                    Flush(data, p);
                    return Limit(BareCr, out block, out consumed);
                }

                // A complete field at this point can still be followed by a continuation only if the data
                // after it is available; it is, because we are at the start of the next line.
                Flush(data, p);
                if (headers.Count >= limits.MaxHeaderCount)
                    return Limit($"more than {limits.MaxHeaderCount} header fields", out block, out consumed);
                currentStart = p;
                currentName = name;
                currentValueOffset = colon + 1;
            }

            p = next;
            if (p > limits.MaxHeaderBlockSize)
                return Limit($"the header block is larger than {limits.MaxHeaderBlockSize} bytes", out block, out consumed);
        }

        void Flush(ReadOnlySpan<byte> d, int end)
        {
            if (currentName is null)
                return;
            headers.Add(Header.FromRaw(currentName, d[currentStart..end].ToArray(), currentValueOffset));
            currentName = null;
        }

        Outcome Finish(ReadOnlySpan<byte> separator, HeaderBlockStatus status, string? reason, int used,
            out HeaderBlock? result, out int usedBytes)
        {
            result = new HeaderBlock(headers, separator.ToArray(), newLine ?? "\n", status, reason);
            usedBytes = used;
            return Outcome.Done;
        }

        Outcome Limit(string reason, out HeaderBlock? result, out int usedBytes)
        {
            // Only fields completed before the limit are reported; the rest stays unparsed.
            result = new HeaderBlock(headers, ReadOnlyMemory<byte>.Empty, newLine ?? "\n", HeaderBlockStatus.LimitExceeded, reason);
            usedBytes = 0;
            return Outcome.Done;
        }
    }

    /// <summary>The field name before the colon (printable ASCII, trailing blanks allowed), or null.</summary>
    private static string? ReadName(ReadOnlySpan<byte> line, out int colon)
    {
        colon = line.IndexOf((byte)':');
        if (colon <= 0)
            return null;
        var name = line[..colon];
        var end = name.Length;
        while (end > 0 && name[end - 1] is (byte)' ' or (byte)'\t')
            end--;
        if (end == 0)
            return null;
        name = name[..end];
        foreach (var b in name)
        {
            if (b is < 33 or > 126)
                return null;
        }

        return Encoding.ASCII.GetString(name);
    }
}
