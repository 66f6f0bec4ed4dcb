namespace Mailseal.Pipeline.Server;

/// <summary>
/// The DATA section of one transaction as a read-only stream: undoes dot-stuffing (RFC 5321
/// 4.5.2) straight out of the session's read buffer and ends at CRLF "." CRLF. Only that exact
/// sequence ends the message: a bare LF "." LF is content (the SMTP smuggling fix Postfix made in
/// 3.8.4: the filter and the re-injection smtpd must agree on where a message ends). Nothing is
/// buffered beyond the session's one read buffer, so a reader slower than the client slows the
/// client (TCP back-pressure) and memory does not grow with the message.
/// </summary>
internal sealed class SmtpDataStream : Stream
{
    private enum State
    {
        LineStart,
        Dot,
        DotCr,
        Middle,
        Cr,
        End,
    }

    private readonly SmtpSession _session;
    private readonly long _maxSize;
    private State _state = State.LineStart;

    public SmtpDataStream(SmtpSession session, long maxSize)
    {
        _session = session;
        _maxSize = maxSize;
    }

    /// <summary>Message bytes produced so far (after unstuffing).</summary>
    public long Size { get; private set; }

    /// <summary>The message went over the size limit (reads threw; the rest is discarded).</summary>
    public bool TooLarge { get; private set; }

    /// <summary>The connection failed or timed out: the session cannot answer any more.</summary>
    public bool Broken { get; private set; }

    /// <summary>The final dot was read.</summary>
    public bool Ended => _state == State.End;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (TooLarge)
            throw new SmtpMessageTooLargeException(_maxSize);
        if (destination.Length == 0 || _state == State.End)
            return 0;
        while (true)
        {
            if (!_session.HasBufferedInput)
                await FillAsync(cancellationToken).ConfigureAwait(false);
            int n = Unstuff(_session.BufferedInput, destination.Span, out int consumed);
            _session.Consume(consumed);
            Size += n;
            if (Size > _maxSize)
            {
                TooLarge = true;
                throw new SmtpMessageTooLargeException(_maxSize);
            }

            if (n > 0 || _state == State.End)
                return n;
        }
    }

    /// <summary>Reads and discards whatever the handler left, up to the final dot.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        byte[] sink = new byte[16 * 1024];
        while (_state != State.End)
        {
            if (!_session.HasBufferedInput)
                await FillAsync(cancellationToken).ConfigureAwait(false);
            _ = Unstuff(_session.BufferedInput, sink, out int consumed);
            _session.Consume(consumed);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!await _session.FillAsync(_session.Options.DataTimeout, cancellationToken).ConfigureAwait(false))
                throw new IOException("the client closed the connection in DATA");
        }
        catch (Exception)
        {
            Broken = true;
            throw;
        }
    }

    /// <summary>Runs the unstuffing state machine over <paramref name="input"/>; returns the bytes produced.</summary>
    private int Unstuff(ReadOnlySpan<byte> input, Span<byte> output, out int consumed)
    {
        int i = 0;
        int o = 0;
        while (i < input.Length && o < output.Length && _state != State.End)
        {
            byte b = input[i];
            switch (_state)
            {
                case State.LineStart:
                    if (b == (byte)'.')
                    {
                        _state = State.Dot;
                        i++;
                    }
                    else
                    {
                        _state = State.Middle;
                    }

                    break;
                case State.Dot:
                    if (b == (byte)'\r')
                    {
                        _state = State.DotCr;
                        i++;
                    }
                    else
                    {
                        // "." then anything but CR: the dot was stuffing, dropped.
                        _state = State.Middle;
                    }

                    break;
                case State.DotCr:
                    if (b == (byte)'\n')
                    {
                        _state = State.End;
                        i++;
                    }
                    else
                    {
                        // ".\r" not followed by LF: content "\r" (the dot was stuffing).
                        output[o++] = (byte)'\r';
                        _state = State.Cr;
                    }

                    break;
                case State.Middle:
                    {
                        // The common case: copy up to the next CR in one go.
                        var run = input[i..];
                        int room = output.Length - o;
                        if (run.Length > room)
                            run = run[..room];
                        int cr = run.IndexOf((byte)'\r');
                        int take = cr < 0 ? run.Length : cr + 1;
                        run[..take].CopyTo(output[o..]);
                        o += take;
                        i += take;
                        if (cr >= 0)
                            _state = State.Cr;
                        break;
                    }

                case State.Cr:
                    output[o++] = b;
                    i++;
                    _state = b == (byte)'\n' ? State.LineStart : b == (byte)'\r' ? State.Cr : State.Middle;
                    break;
            }
        }

        consumed = i;
        return o;
    }
}
