using System.Text;

namespace Mailseal.Policy;

/// <summary>
/// The protocol half of reading policy requests, without any I/O: bytes go in through
/// <see cref="FreeSpace"/> and <see cref="Advance"/>, complete requests come out of
/// <see cref="TryTake"/>. A fixed buffer that never holds more than
/// <see cref="PolicyServerOptions.MaxLineLength"/> bytes of an unfinished line; every limit
/// broken, and every malformed line, is a <see cref="PolicyProtocolException"/>. Shared by the
/// asynchronous <see cref="PolicyRequestReader"/> and the one-thread <see cref="PolicyEventLoop"/>,
/// so both speak exactly the same protocol.
/// </summary>
internal sealed class PolicyRequestParser
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

    private readonly PolicyServerOptions _options;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;
    private Dictionary<string, string>? _attributes;
    private int _lines;
    private int _requestBytes;

    /// <summary>Creates a parser with the limits of <paramref name="options"/>.</summary>
    public PolicyRequestParser(PolicyServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _buffer = new byte[Math.Max(options.MaxLineLength + 2, 8192)];
    }

    /// <summary>True between requests: no byte of the next one has arrived.</summary>
    public bool IsEmpty => _start == _end && _lines == 0;

    /// <summary>What an end of input here means: inside the first line of a request, or later in it.</summary>
    public string ClosedInsideMessage => _lines == 0 ? "connection closed inside a line" : "connection closed inside a request";

    /// <summary>
    /// Where the next bytes read go (the unread bytes are moved to the front first). Throws
    /// <see cref="PolicyProtocolException"/> when one unfinished line fills the whole buffer.
    /// </summary>
    public Memory<byte> FreeSpace()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
            throw new PolicyProtocolException($"line longer than {_options.MaxLineLength} bytes");
        return _buffer.AsMemory(_end);
    }

    /// <summary>Counts <paramref name="count"/> bytes written into <see cref="FreeSpace"/> as received.</summary>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _end);
        _end += count;
    }

    /// <summary>The next complete request, or <c>null</c> until more bytes arrive.</summary>
    public PolicyRequest? TryTake()
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline < 0)
            {
                if (_end - _start > _options.MaxLineLength)
                    throw new PolicyProtocolException($"line longer than {_options.MaxLineLength} bytes");
                return null;
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
                if (_attributes is null || _attributes.Count == 0)
                    throw new PolicyProtocolException("empty request");
                var request = new PolicyRequest(_attributes);
                _attributes = null;
                _lines = 0;
                _requestBytes = 0;
                return request;
            }

            _requestBytes += length + 1;
            if (_requestBytes > _options.MaxRequestBytes)
                throw new PolicyProtocolException($"request larger than {_options.MaxRequestBytes} bytes");
            if (++_lines > _options.MaxAttributes)
                throw new PolicyProtocolException($"more than {_options.MaxAttributes} attributes");

            var (name, value) = ParseLine(_buffer.AsSpan(lineStart, length));
            // Sized for what Postfix sends (about 25 attributes), so it is not regrown per request.
            _attributes ??= new Dictionary<string, string>(32, StringComparer.Ordinal);
            _attributes[name] = value;
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
}
