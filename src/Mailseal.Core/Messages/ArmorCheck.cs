using Mailseal.Core.OpenPgp;

namespace Mailseal.Core.Messages;

/// <summary>
/// Checks that a body is one ASCII-armored OpenPGP encrypted message (RFC 9580 section 6.2)
/// and nothing else but white space: a BEGIN PGP MESSAGE line, armor headers, a blank line,
/// radix-64 lines, an optional checksum, the END line. The radix-64 is decoded as it comes and
/// must be the packets of an encrypted message (<see cref="EncryptedPacketCheck"/>), and a
/// checksum, when present, must match: base64 of plaintext, a block holding only a checksum
/// line, or a signed or literal message is not ciphertext. Any other text (a quoted reply, a
/// footer) means the body holds plaintext, so it is not "already encrypted". Works line by
/// line in constant memory, so a body too large to hold can be checked as it streams past
/// (<see cref="Accept"/>, <see cref="IsComplete"/>).
/// <para>
/// Armor headers are a place to hide text in the clear, so only what clients write is taken:
/// at most <see cref="MaxHeaderLines"/> lines of at most <see cref="MaxHeaderLineLength"/>
/// characters, each <c>Version</c>, <c>Charset</c> or a <c>Comment</c> that holds a web
/// address (GnuPG's <c>--comment</c>, Enigmail, GPGTools, Mailvelope and OpenPGP.js write
/// their URL there). Any other header makes the message plaintext: it is encrypted again.
/// </para>
/// </summary>
internal sealed class ArmorCheck
{
    /// <summary>Most armor header lines taken (a client writes one or two).</summary>
    public const int MaxHeaderLines = 3;

    /// <summary>Longest armor header line taken, the armor's own line limit (RFC 4880 section 6.3).</summary>
    public const int MaxHeaderLineLength = 76;

    private static readonly byte[] Begin = "-----BEGIN PGP MESSAGE-----"u8.ToArray();
    private static readonly byte[] End = "-----END PGP MESSAGE-----"u8.ToArray();

    private int _state; // 0 before BEGIN, 1 armor headers, 2 radix-64, 3 after END, -1 not armor
    private int _headerLines;
    private readonly EncryptedPacketCheck _packets = new();
    private Crc24 _crc;
    private int _checksum = -1;
    private bool _padded;
    private readonly byte[] _quantum = new byte[4];
    private int _quantumLength;
    private bool _sawData;
    private bool _endedWell;

    /// <summary>True once the END line came after a whole encrypted message (and a matching checksum), and nothing but blank lines since.</summary>
    public bool IsComplete => _state == 3 && _endedWell;

    /// <summary>False once the body is known not to be only an armored encrypted message.</summary>
    public bool IsPossible => _state >= 0;

    /// <summary>Takes one line, without its line break. Returns <see cref="IsPossible"/>.</summary>
    public bool Accept(ReadOnlySpan<byte> line)
    {
        line = line.TrimEnd(" \t\r"u8);
        switch (_state)
        {
            case 0:
                if (!line.IsEmpty)
                    _state = line.SequenceEqual(Begin) ? 1 : -1;
                break;
            case 1:
                if (line.IsEmpty)
                    _state = 2;
                else if (!IsAllowedHeader(line) || ++_headerLines > MaxHeaderLines)
                    _state = -1;
                break;
            case 2:
                if (line.SequenceEqual(End))
                {
                    _endedWell = _sawData && _quantumLength == 0 && _packets.IsComplete
                        && (_checksum < 0 || _checksum == (int)_crc.Value);
                    _state = _endedWell ? 3 : -1;
                }
                else if (!line.IsEmpty && !Data(line))
                {
                    _state = -1;
                }

                break;
            case 3:
                if (!line.IsEmpty)
                    _state = -1;
                break;
        }

        return IsPossible;
    }

    public static bool IsOnlyPgpMessage(ReadOnlySpan<byte> body)
    {
        var check = new ArmorCheck();
        while (!body.IsEmpty)
        {
            var nl = body.IndexOf((byte)'\n');
            var line = nl < 0 ? body : body[..nl];
            body = nl < 0 ? ReadOnlySpan<byte>.Empty : body[(nl + 1)..];
            if (!check.Accept(line))
                return false;
        }

        return check.IsComplete;
    }

    /// <summary>Version, Charset, or a Comment holding a URL; one short line each.</summary>
    private static bool IsAllowedHeader(ReadOnlySpan<byte> line)
    {
        if (line.Length > MaxHeaderLineLength)
            return false;
        foreach (var b in line)
        {
            if (b is < 0x20 or > 0x7E)
                return false;
        }

        if (line.StartsWith("Version: "u8) || line.StartsWith("Charset: "u8))
            return line.Length > 9;
        return line.StartsWith("Comment: "u8) && (line.IndexOf("https://"u8) > 0 || line.IndexOf("http://"u8) > 0);
    }

    /// <summary>One radix-64 line (or the checksum line): decoded into the packet check and the CRC.</summary>
    private bool Data(ReadOnlySpan<byte> line)
    {
        if (_checksum >= 0)
            return false; // only the END line may follow the checksum
        if (line.Length == 5 && line[0] == (byte)'=')
        {
            if (!_sawData || !TryDecodeChecksum(line[1..], out _checksum))
                return false;
            return true;
        }

        if (_padded)
            return false; // data after the padding of the last quantum
        foreach (var b in line)
        {
            int v = Radix64Value(b);
            if (v == -2)
                return false;
            if (v == -1)
            {
                // '=': padding, only in the last quantum's third or fourth place.
                if (_quantumLength < 2)
                    return false;
                _quantum[_quantumLength++] = 0xFF;
            }
            else
            {
                if (_quantumLength >= 2 && _quantum[_quantumLength - 1] == 0xFF)
                    return false; // a digit after '='
                _quantum[_quantumLength++] = (byte)v;
            }

            if (_quantumLength == 4 && !Quantum())
                return false;
        }

        _sawData = true;
        return true;
    }

    private bool Quantum()
    {
        Span<byte> octets = stackalloc byte[3];
        int n = _quantum[2] == 0xFF ? 1 : _quantum[3] == 0xFF ? 2 : 3;
        if (_quantum[2] == 0xFF && _quantum[3] != 0xFF)
            return false;
        int bits = (_quantum[0] << 18) | (_quantum[1] << 12) | ((_quantum[2] & 0x3F) << 6) | (_quantum[3] & 0x3F);
        octets[0] = (byte)(bits >> 16);
        octets[1] = (byte)(bits >> 8);
        octets[2] = (byte)bits;
        _quantumLength = 0;
        if (n < 3)
            _padded = true;
        _crc.Append(octets[..n]);
        return _packets.Accept(octets[..n]);
    }

    private static bool TryDecodeChecksum(ReadOnlySpan<byte> chars, out int crc)
    {
        crc = 0;
        foreach (var b in chars)
        {
            int v = Radix64Value(b);
            if (v < 0)
                return false;
            crc = (crc << 6) | v;
        }

        return true;
    }

    /// <summary>0-63 for a radix-64 digit, -1 for '=', -2 for anything else.</summary>
    private static int Radix64Value(byte b) => b switch
    {
        >= (byte)'A' and <= (byte)'Z' => b - 'A',
        >= (byte)'a' and <= (byte)'z' => b - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => b - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        (byte)'=' => -1,
        _ => -2,
    };
}
