namespace Mailseal.Core.Messages;

/// <summary>
/// Checks that a body is one ASCII-armored OpenPGP message (RFC 9580 section 6.2) and nothing
/// else but white space: a BEGIN PGP MESSAGE line, armor headers, a blank line, radix-64 lines,
/// an optional checksum, the END line. Any other text (a quoted reply, a footer) means the body
/// holds plaintext, so it is not "already encrypted". Works line by line, so a body too large
/// to hold can be checked as it streams past (<see cref="Accept"/>, <see cref="IsComplete"/>).
/// </summary>
internal sealed class ArmorCheck
{
    private static readonly byte[] Begin = "-----BEGIN PGP MESSAGE-----"u8.ToArray();
    private static readonly byte[] End = "-----END PGP MESSAGE-----"u8.ToArray();

    private int _state; // 0 before BEGIN, 1 armor headers, 2 radix-64, 3 after END, -1 not armor
    private bool _sawData;

    /// <summary>True once the END line came after radix-64 data and nothing but blank lines since.</summary>
    public bool IsComplete => _state == 3 && _sawData;

    /// <summary>False once the body is known not to be only an armored message.</summary>
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
                else if (line.IndexOf(": "u8) <= 0)
                    _state = -1;
                break;
            case 2:
                if (line.SequenceEqual(End))
                    _state = 3;
                else if (!line.IsEmpty && !IsRadix64(line))
                    _state = -1;
                else if (!line.IsEmpty)
                    _sawData = true;
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

    private static bool IsRadix64(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            var ok = b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9'
                or (byte)'+' or (byte)'/' or (byte)'=';
            if (!ok)
                return false;
        }

        return true;
    }
}
