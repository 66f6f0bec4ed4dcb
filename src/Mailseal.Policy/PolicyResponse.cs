using System.Buffers;
using System.Text;

namespace Mailseal.Policy;

/// <summary>
/// One policy reply: the text after <c>action=</c>. The wire form is exactly
/// <c>action=TEXT\n\n</c>. The text is sanitised on construction (CR, LF, NUL and other control
/// characters become spaces, length is capped) so a value copied from a request (a HELO name,
/// a sender) can never end the reply early or inject a second attribute or header line.
/// </summary>
public sealed class PolicyResponse
{
    /// <summary>Longest action text sent; Postfix's own line limit is 2048 bytes.</summary>
    public const int MaxActionLength = 2000;

    /// <summary>What becomes a space: control characters (C0, DEL, C1) and the Unicode line and paragraph separators.</summary>
    private static readonly SearchValues<char> Replaced = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), .. Enumerable.Range(0x7f, 0x21).Select(c => (char)c), '\u2028', '\u2029']);

    private byte[]? _wire;

    /// <summary>The neutral answer: let the next restriction decide.</summary>
    public static PolicyResponse Dunno { get; } = new("DUNNO");

    /// <summary>Creates a reply with the given action text (sanitised).</summary>
    /// <param name="action">For example <c>DUNNO</c>, <c>PREPEND Received-SPF: ...</c>, <c>550 5.7.23 ...</c>.</param>
    public PolicyResponse(string action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Action = Sanitise(action);
    }

    /// <summary>The action text, without the <c>action=</c> prefix.</summary>
    public string Action { get; }

    /// <summary>The bytes written to Postfix.</summary>
    public string ToWire() => "action=" + Action + "\n\n";

    /// <summary>
    /// <see cref="ToWire"/> as UTF-8, encoded once per response object: the shared
    /// <see cref="Dunno"/>, most daemons' commonest answer, costs no allocation per request.
    /// </summary>
    internal ReadOnlyMemory<byte> WireBytes => _wire ??= Encode(Action);

    /// <inheritdoc />
    public override string ToString() => Action;

    /// <summary>"action=" + the text + "\n\n" in UTF-8, written straight into one array.</summary>
    private static byte[] Encode(string action)
    {
        var wire = new byte[7 + Encoding.UTF8.GetByteCount(action) + 2];
        "action="u8.CopyTo(wire);
        var n = Encoding.UTF8.GetBytes(action, wire.AsSpan(7));
        wire[7 + n] = (byte)'\n';
        wire[8 + n] = (byte)'\n';
        return wire;
    }

    internal static string Sanitise(string text)
    {
        // Most replies need nothing changed: then the text itself is the reply (no copies per request).
        if (text.Length is > 0 and <= MaxActionLength && !char.IsWhiteSpace(text[0]) && !char.IsWhiteSpace(text[^1]) && !char.IsHighSurrogate(text[^1]) && !text.AsSpan().ContainsAny(Replaced))
            return text;

        var chars = new char[Math.Min(text.Length, MaxActionLength)];
        for (var i = 0; i < chars.Length; i++)
        {
            var c = text[i];
            chars[i] = Replaced.Contains(c) ? ' ' : c;
        }

        // A cut in the middle of a surrogate pair would leave invalid UTF-16.
        var length = chars.Length;
        if (length > 0 && char.IsHighSurrogate(chars[length - 1]))
            length--;
        var result = new string(chars, 0, length).Trim();
        return result.Length == 0 ? "DUNNO" : result;
    }

}
