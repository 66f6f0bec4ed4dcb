using System.Globalization;
using System.Text;

namespace Mailseal.Core.OpenPgp;

/// <summary>
/// Reads OpenPGP ASCII armor (RFC 9580 section 6): one or many BEGIN/END blocks in a text, armor
/// headers, base64 body, and the optional CRC-24 line, which is checked when present. Text
/// before, between and after blocks (a key pasted into a mail) is ignored.
/// </summary>
public static class ArmorReader
{
    private static ReadOnlySpan<byte> BeginMarker => "-----BEGIN "u8;
    private static ReadOnlySpan<byte> EndMarker => "-----END "u8;
    private static ReadOnlySpan<byte> Dashes => "-----"u8;

    /// <summary>Decodes the first armored block in <paramref name="armored"/>.</summary>
    /// <exception cref="OpenPgpFormatException">No armor, truncated armor, bad base64 or a checksum mismatch.</exception>
    public static byte[] Dearmor(ReadOnlySpan<byte> armored) => ReadBlocks(armored, OpenPgpReadOptions.Default, firstOnly: true)[0].Data;

    /// <summary>Decodes every armored block in <paramref name="armored"/>, in order.</summary>
    /// <exception cref="OpenPgpFormatException">No armor, truncated armor, bad base64, a checksum mismatch, or more blocks than <see cref="OpenPgpReadOptions.MaxArmorBlocks"/>.</exception>
    public static IReadOnlyList<ArmoredBlock> ReadAll(ReadOnlySpan<byte> armored, OpenPgpReadOptions? options = null)
        => ReadBlocks(armored, options ?? OpenPgpReadOptions.Default, firstOnly: false);

    /// <summary>
    /// True when <paramref name="data"/> is text holding an armor header line
    /// ("-----BEGIN PGP ...") at the start of a line; false for binary OpenPGP (first octet has
    /// its high bit set) and for anything else.
    /// </summary>
    public static bool LooksArmored(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || (data[0] & 0x80) != 0)
            return false;
        int at = 0;
        while (at < data.Length)
        {
            int nl = data[at..].IndexOf((byte)'\n');
            var line = nl < 0 ? data[at..] : data.Slice(at, nl);
            line = TrimLine(line);
            if (line.StartsWith(BeginMarker) && line[BeginMarker.Length..].StartsWith("PGP "u8))
                return true;
            if (nl < 0)
                break;
            at += nl + 1;
        }

        return false;
    }

    private enum State
    {
        Outside,
        Headers,
        Body,
        AfterChecksum,
    }

    private static List<ArmoredBlock> ReadBlocks(ReadOnlySpan<byte> text, OpenPgpReadOptions options, bool firstOnly)
    {
        if (text.Length > options.MaxInputBytes)
            throw new OpenPgpFormatException($"armored input of {text.Length} octets exceeds the limit of {options.MaxInputBytes} (MaxInputBytes)");
        if (!text.IsEmpty && (text[0] & 0x80) != 0)
            throw new OpenPgpFormatException("input is binary OpenPGP, not ASCII armor");

        var blocks = new List<ArmoredBlock>();
        var state = State.Outside;
        string label = "";
        var headers = new List<KeyValuePair<string, string>>();
        var base64 = new StringBuilder();
        int? checksum = null;
        int lineNo = 0;
        int at = 0;
        while (at < text.Length)
        {
            int nl = text[at..].IndexOf((byte)'\n');
            var line = TrimLine(nl < 0 ? text[at..] : text.Slice(at, nl));
            at = nl < 0 ? text.Length : at + nl + 1;
            lineNo++;

            switch (state)
            {
                case State.Outside:
                    if (line.StartsWith(BeginMarker) && line.EndsWith(Dashes) && line.Length > BeginMarker.Length + Dashes.Length)
                    {
                        label = Ascii(line[BeginMarker.Length..^Dashes.Length]);
                        headers = new List<KeyValuePair<string, string>>();
                        base64.Clear();
                        checksum = null;
                        state = State.Headers;
                    }

                    break;

                case State.Headers:
                    if (line.IsEmpty)
                    {
                        state = State.Body;
                        break;
                    }

                    int colon = line.IndexOf(": "u8);
                    if (colon > 0 && !line.StartsWith(EndMarker))
                    {
                        headers.Add(new(Ascii(line[..colon]), Ascii(line[(colon + 2)..])));
                        break;
                    }

                    // No blank line after the headers: read on as body, as GnuPG tolerates.
                    state = State.Body;
                    goto case State.Body;

                case State.Body:
                case State.AfterChecksum:
                    if (line.StartsWith(EndMarker))
                    {
                        string endLabel = line.EndsWith(Dashes) && line.Length >= EndMarker.Length + Dashes.Length
                            ? Ascii(line[EndMarker.Length..^Dashes.Length])
                            : Ascii(line[EndMarker.Length..]);
                        if (!string.Equals(endLabel, label, StringComparison.Ordinal))
                            throw new OpenPgpFormatException($"armored block \"{label}\" ends with \"END {endLabel}\" on line {lineNo}");
                        blocks.Add(Finish(label, headers, base64, checksum));
                        if (firstOnly)
                            return blocks;
                        if (blocks.Count > options.MaxArmorBlocks)
                            throw new OpenPgpFormatException($"input holds more than {options.MaxArmorBlocks} armored blocks (MaxArmorBlocks)");
                        state = State.Outside;
                        break;
                    }

                    if (line.IsEmpty)
                        break;
                    if (state == State.AfterChecksum)
                        throw new OpenPgpFormatException($"armored block \"{label}\" has data after its checksum line on line {lineNo}");
                    if (line[0] == (byte)'=' && line.Length == 5)
                    {
                        checksum = DecodeChecksum(line[1..], label, lineNo);
                        state = State.AfterChecksum;
                        break;
                    }

                    foreach (byte b in line)
                    {
                        if (!IsBase64(b))
                            throw new OpenPgpFormatException($"armored block \"{label}\" has a character that is not base64 on line {lineNo}");
                        base64.Append((char)b);
                    }

                    break;
            }
        }

        if (state != State.Outside)
            throw new OpenPgpFormatException($"armored block \"{label}\" is truncated: the input ends before its END line");
        if (blocks.Count == 0)
            throw new OpenPgpFormatException("no ASCII armor found (no \"-----BEGIN PGP ...-----\" line)");
        return blocks;
    }

    private static ArmoredBlock Finish(string label, List<KeyValuePair<string, string>> headers, StringBuilder base64, int? checksum)
    {
        byte[] data;
        try
        {
            data = Convert.FromBase64String(base64.ToString());
        }
        catch (FormatException)
        {
            throw new OpenPgpFormatException($"armored block \"{label}\" is not valid base64 (wrong length or padding; truncated?)");
        }

        if (checksum is int expected)
        {
            int actual = Crc24.Compute(data);
            if (actual != expected)
                throw new OpenPgpFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"armor checksum mismatch in block \"{label}\": the data is corrupted (CRC-24 is {actual:X6}, the armor says {expected:X6})"));
        }

        return new ArmoredBlock(label, headers, data, checksum.HasValue);
    }

    private static int DecodeChecksum(ReadOnlySpan<byte> chars, string label, int lineNo)
    {
        Span<char> c = stackalloc char[4];
        for (int i = 0; i < 4; i++)
            c[i] = (char)chars[i];
        Span<byte> crc = stackalloc byte[3];
        if (!Convert.TryFromBase64Chars(c, crc, out int written) || written != 3)
            throw new OpenPgpFormatException($"armored block \"{label}\" has an unreadable checksum line on line {lineNo}");
        return (crc[0] << 16) | (crc[1] << 8) | crc[2];
    }

    private static bool IsBase64(byte b) =>
        b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'+' or (byte)'/' or (byte)'=';

    private static ReadOnlySpan<byte> TrimLine(ReadOnlySpan<byte> line)
    {
        int end = line.Length;
        while (end > 0 && line[end - 1] is (byte)'\r' or (byte)' ' or (byte)'\t')
            end--;
        return line[..end];
    }

    private static string Ascii(ReadOnlySpan<byte> s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (byte b in s)
            sb.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        return sb.ToString();
    }
}
