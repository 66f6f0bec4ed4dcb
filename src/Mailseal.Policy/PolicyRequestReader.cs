using System.Text;

namespace Mailseal.Policy;

/// <summary>
/// Reads policy requests from one connection: a forward-only parser over a fixed buffer that
/// never holds more than <see cref="PolicyServerOptions.MaxLineLength"/> bytes of an unfinished
/// line. Each call returns the next complete request, <c>null</c> at a clean end of input, or
/// throws <see cref="PolicyProtocolException"/> (malformed, oversized, read timeout) or
/// <see cref="TimeoutException"/> (nothing arrived within the idle timeout). The idle and read
/// timeouts run on one timer per connection, re-armed for each request (not a new linked token
/// source and timer per request): a daemon reads tens of thousands of requests a second.
/// </summary>
public sealed class PolicyRequestReader : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The attribute names Postfix sends (SMTPD_POLICY_README, Postfix 3.x) and values that recur
    /// on every request, handed out as one string each instead of a new string per request: a
    /// daemon reads tens of thousands of requests a second, and each has two dozen attributes.
    /// </summary>
    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> KnownWords = new[]
    {
        "request", "protocol_state", "protocol_name", "helo_name", "queue_id", "sender", "recipient",
        "recipient_count", "client_address", "client_name", "client_port", "reverse_client_name",
        "instance", "sasl_method", "sasl_username", "sasl_sender", "size", "ccert_subject",
        "ccert_issuer", "ccert_fingerprint", "ccert_pubkey_fingerprint", "encryption_protocol",
        "encryption_cipher", "encryption_keysize", "etrn_domain", "stress", "server_address",
        "server_port", "policy_context", "compatibility_level", "mail_version",
        "smtpd_access_policy", "CONNECT", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "END-OF-MESSAGE",
        "VRFY", "ETRN", "SMTP", "ESMTP", "LMTP", "unknown", "0", "1",
    }.ToDictionary(w => w, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Longest word looked up in <see cref="KnownWords"/> (longer ones cannot be in it).</summary>
    private const int KnownWordMaxLength = 32;

    private readonly Stream _input;
    private readonly PolicyServerOptions _options;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;
    private ReusableTimeout? _timeout;
    private bool _disposed;

    /// <summary>Creates a reader over a connection's input.</summary>
    public PolicyRequestReader(Stream input, PolicyServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        _input = input;
        _options = options;
        _buffer = new byte[Math.Max(options.MaxLineLength + 2, 8192)];
    }

    /// <summary>Reads the next request.</summary>
    /// <returns>The request, or <c>null</c> when the peer closed the connection between requests.</returns>
    public async ValueTask<PolicyRequest?> ReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_timeout is null || _timeout.Outer != cancellationToken)
        {
            _timeout?.Dispose();
            _timeout = new ReusableTimeout(cancellationToken);
        }

        var timeout = _timeout;
        try
        {
            // Idle until the first byte of a request, then the read timeout covers the whole request.
            var idle = timeout.Start(_options.IdleTimeout);
            if (_start == _end && !await FillAsync(idle, isIdle: true, cancellationToken).ConfigureAwait(false))
                return null;

            var read = timeout.Start(_options.ReadTimeout);
            return await ReadRequestAsync(read, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // No timer runs between requests: the handler has its own limit.
            timeout.Stop();
        }
    }

    /// <summary>Releases the connection's timer.</summary>
    public void Dispose()
    {
        _disposed = true;
        _timeout?.Dispose();
        _timeout = null;
    }

    private async ValueTask<PolicyRequest> ReadRequestAsync(CancellationToken readToken, CancellationToken cancellationToken)
    {
        // Sized for what Postfix sends (about 25 attributes), so it is not regrown per request.
        var attributes = new Dictionary<string, string>(32, StringComparer.Ordinal);
        var lines = 0;
        var requestBytes = 0;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline < 0)
            {
                if (_end - _start > _options.MaxLineLength)
                    throw new PolicyProtocolException($"line longer than {_options.MaxLineLength} bytes");
                if (!await FillAsync(readToken, isIdle: false, cancellationToken).ConfigureAwait(false))
                    throw new PolicyProtocolException(lines == 0 ? "connection closed inside a line" : "connection closed inside a request");
                continue;
            }

            var length = newline - _start;
            var lineStart = _start;
            _start = newline + 1;
            if (length > 0 && _buffer[lineStart + length - 1] == (byte)'\r')
                length--;
            if (length > _options.MaxLineLength)
                throw new PolicyProtocolException($"line longer than {_options.MaxLineLength} bytes");

            if (length == 0)
            {
                if (attributes.Count == 0)
                    throw new PolicyProtocolException("empty request");
                return new PolicyRequest(attributes);
            }

            requestBytes += length + 1;
            if (requestBytes > _options.MaxRequestBytes)
                throw new PolicyProtocolException($"request larger than {_options.MaxRequestBytes} bytes");
            if (++lines > _options.MaxAttributes)
                throw new PolicyProtocolException($"more than {_options.MaxAttributes} attributes");

            var (name, value) = ParseLine(_buffer.AsSpan(lineStart, length));
            attributes[name] = value;
        }
    }

    private static (string Name, string Value) ParseLine(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7f)
                throw new PolicyProtocolException($"control byte 0x{b:x2} in request");
        }

        var equals = line.IndexOf((byte)'=');
        if (equals < 0)
            throw new PolicyProtocolException("line without '='");
        if (equals == 0)
            throw new PolicyProtocolException("attribute without a name");

        var nameBytes = line[..equals];
        foreach (var b in nameBytes)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'-' or (byte)'.'))
                throw new PolicyProtocolException("attribute name with characters other than letters, digits, '_', '-', '.'");
        }

        try
        {
            return (Word(nameBytes), Word(line[(equals + 1)..]));
        }
        catch (DecoderFallbackException e)
        {
            throw new PolicyProtocolException("request is not UTF-8", e);
        }
    }

    /// <summary>The text of a name or value: a <see cref="KnownWords"/> string when it is one, else a new one (strict UTF-8).</summary>
    private static string Word(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= KnownWordMaxLength && Ascii.IsValid(bytes))
        {
            Span<char> chars = stackalloc char[KnownWordMaxLength];
            var n = Encoding.ASCII.GetChars(bytes, chars);
            if (KnownWords.TryGetValue(chars[..n], out var known))
                return known;
        }

        return StrictUtf8.GetString(bytes);
    }

    private async ValueTask<bool> FillAsync(CancellationToken timeoutToken, bool isIdle, CancellationToken outer)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
            throw new PolicyProtocolException($"line longer than {_options.MaxLineLength} bytes");

        int read;
        try
        {
            // Sockets honour the token themselves; a pipe or console stream (spawn mode on a
            // pipe) may not, so the wait is bounded from outside as well.
            read = _input.CanTimeout
                ? await _input.ReadAsync(_buffer.AsMemory(_end), timeoutToken).ConfigureAwait(false)
                : await _input.ReadAsync(_buffer.AsMemory(_end), timeoutToken).AsTask().WaitAsync(timeoutToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!outer.IsCancellationRequested)
        {
            if (isIdle)
                throw new TimeoutException($"no request within {(long)_options.IdleTimeout.TotalMilliseconds} ms");
            throw new PolicyProtocolException($"request not complete within {(long)_options.ReadTimeout.TotalMilliseconds} ms");
        }

        _end += read;
        return read > 0;
    }
}
