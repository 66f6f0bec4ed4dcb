namespace Mailseal.Core.Messages;

/// <summary>
/// Checks that a body is one ASCII-armored OpenPGP message (RFC 9580 section 6.2) and nothing
/// else but white space: a BEGIN PGP MESSAGE line, armor headers, a blank line, radix-64 lines,
/// an optional checksum, the END line. Any other text (a quoted reply, a footer) means the body
/// holds plaintext, so it is not "already encrypted".
/// </summary>
internal static class ArmorCheck
{
    private static readonly byte[] Begin = "-----BEGIN PGP MESSAGE-----"u8.ToArray();
    private static readonly byte[] End = "-----END PGP MESSAGE-----"u8.ToArray();

    public static bool IsOnlyPgpMessage(ReadOnlySpan<byte> body)
    {
        var state = 0; // 0 before BEGIN, 1 armor headers, 2 radix-64, 3 after END
        var sawData = false;
        while (!body.IsEmpty)
        {
            var nl = body.IndexOf((byte)'\n');
            var line = nl < 0 ? body : body[..nl];
            body = nl < 0 ? ReadOnlySpan<byte>.Empty : body[(nl + 1)..];
            line = line.TrimEnd(" \t\r"u8);
            switch (state)
            {
                case 0:
                    if (line.IsEmpty)
                        continue;
                    if (!line.SequenceEqual(Begin))
                        return false;
                    state = 1;
                    break;
                case 1:
                    if (line.IsEmpty)
                        state = 2;
                    else if (line.IndexOf(": "u8) <= 0)
                        return false;
                    break;
                case 2:
                    if (line.SequenceEqual(End))
                    {
                        state = 3;
                        break;
                    }

                    if (line.IsEmpty)
                        continue;
                    foreach (var b in line)
                    {
                        var ok = b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9'
                            or (byte)'+' or (byte)'/' or (byte)'=';
                        if (!ok)
                            return false;
                    }

                    sawData = true;
                    break;
                default:
                    if (!line.IsEmpty)
                        return false;
                    break;
            }
        }

        return state == 3 && sawData;
    }
}
