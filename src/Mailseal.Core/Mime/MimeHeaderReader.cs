namespace Mailseal.Core.Mime;

/// <summary>
/// Reads a message's header block from a stream into one buffer bounded by
/// <see cref="MimeLimits.MaxHeaderBlockSize"/> (plus one read chunk); the body is left in the
/// stream (and in <see cref="HeaderReadResult.BodyPrefix"/>) for the caller to stream on.
/// </summary>
public static class MimeHeaderReader
{
    private const int ChunkSize = 16 * 1024;

    /// <summary>Reads up to the end of the header block or a limit, whichever comes first.</summary>
    public static async Task<HeaderReadResult> ReadAsync(Stream input, MimeLimits limits, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(limits);
        var buffer = GC.AllocateUninitializedArray<byte>(Math.Min(ChunkSize * 2, limits.MaxHeaderBlockSize + ChunkSize));
        var length = 0;
        var eof = false;
        while (true)
        {
            if (!eof)
            {
                if (buffer.Length - length < ChunkSize)
                    Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + ChunkSize));
                var n = await input.ReadAsync(buffer.AsMemory(length, ChunkSize), ct).ConfigureAwait(false);
                if (n == 0)
                    eof = true;
                length += n;
            }

            var outcome = HeaderParser.TryParse(buffer.AsSpan(0, length), eof, limits, out var block, out var consumed);
            if (outcome == HeaderParser.Outcome.Done)
            {
                if (block!.Status == HeaderBlockStatus.LimitExceeded)
                    return new HeaderReadResult(block, buffer.AsMemory(0, length), ReadOnlyMemory<byte>.Empty);
                return new HeaderReadResult(block, buffer.AsMemory(0, consumed), buffer.AsMemory(consumed, length - consumed));
            }
        }
    }
}
