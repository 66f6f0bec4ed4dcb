using System.Text;
using System.Text.Unicode;

namespace Mailseal.Core.Mime;

/// <summary>
/// One header field as it arrived: its name and its raw bytes (name, colon, value, folding
/// and line terminator exactly as given), so a field nobody changes goes out byte for byte.
/// </summary>
public sealed class Header
{
    private readonly byte[] _raw;
    private readonly int _valueOffset;

    private Header(string name, byte[] raw, int valueOffset)
    {
        Name = name;
        _raw = raw;
        _valueOffset = valueOffset;
    }

    /// <summary>The field name as written (case kept), without the colon or trailing blanks.</summary>
    public string Name { get; }

    /// <summary>The whole field: name, colon, value, folding and the line terminator, if any.</summary>
    public ReadOnlyMemory<byte> RawBytes => _raw;

    /// <summary>The bytes after the colon up to and including the final line terminator.</summary>
    public ReadOnlyMemory<byte> RawValue => _raw.AsMemory(_valueOffset);

    /// <summary>True when the raw field ends with a line feed (the last field of a block may not).</summary>
    public bool EndsWithNewLine => _raw.Length > 0 && _raw[^1] == (byte)'\n';

    /// <summary>
    /// The value unfolded (line breaks removed) and trimmed. Bytes are read as UTF-8 when they
    /// are valid UTF-8 (RFC 6532), else as ISO-8859-1, so no byte is ever lost. Encoded words
    /// are not decoded (MimeKit's <see cref="MimeKit.Utils.Rfc2047.DecodeText(byte[])"/> does, where a reader's text is wanted).
    /// </summary>
    public string Value
    {
        get
        {
            var bytes = _raw.AsSpan(_valueOffset);
            var text = Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : Encoding.Latin1.GetString(bytes);
            return Unfold(text).Trim(' ', '\t', '\r', '\n');
        }
    }

    /// <summary>True when this field is named <paramref name="name"/> (ASCII case-insensitive).</summary>
    public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the name starts with <paramref name="prefix"/> (ASCII case-insensitive), e.g. "Content-".</summary>
    public bool HasPrefix(string prefix) => Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A field from raw bytes already split by the reader. <paramref name="valueOffset"/> is the
    /// index just after the colon.
    /// </summary>
    internal static Header FromRaw(string name, byte[] raw, int valueOffset) => new(name, raw, valueOffset);

    /// <summary>
    /// A new field, folded at white space so no line exceeds 78 characters where the value
    /// allows it, ending with <paramref name="newLine"/>. The value must already be ASCII or
    /// encoded (this writer does not encode).
    /// </summary>
    public static Header Create(string name, string value, string newLine)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        var text = HeaderFolder.Fold(name, value, newLine);
        var bytes = Encoding.UTF8.GetBytes(text);
        return new Header(name, bytes, Encoding.UTF8.GetByteCount(name) + 1);
    }

    /// <summary>The same raw value under another name (e.g. DKIM-Signature to X-Original-DKIM-Signature).</summary>
    public Header Rename(string newName)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        var nameBytes = Encoding.ASCII.GetBytes(newName);
        var value = _raw.AsSpan(_valueOffset);
        var bytes = new byte[nameBytes.Length + 1 + value.Length];
        nameBytes.CopyTo(bytes, 0);
        bytes[nameBytes.Length] = (byte)':';
        value.CopyTo(bytes.AsSpan(nameBytes.Length + 1));
        return new Header(newName, bytes, nameBytes.Length + 1);
    }

    /// <summary>
    /// A copy with <paramref name="text"/> inserted just before the final line terminator
    /// (e.g. <c>"; hp=\"cipher\""</c>); all other bytes stay as they were.
    /// </summary>
    public Header AppendToValue(string text, string newLine)
    {
        ArgumentNullException.ThrowIfNull(text);
        var end = _raw.Length;
        if (end > 0 && _raw[end - 1] == (byte)'\n')
        {
            end--;
            if (end > 0 && _raw[end - 1] == (byte)'\r')
                end--;
        }

        var insert = Encoding.UTF8.GetBytes(text);
        var terminator = end == _raw.Length ? Encoding.ASCII.GetBytes(newLine) : _raw.AsSpan(end).ToArray();
        var bytes = new byte[end + insert.Length + terminator.Length];
        _raw.AsSpan(0, end).CopyTo(bytes);
        insert.CopyTo(bytes, end);
        terminator.CopyTo(bytes, end + insert.Length);
        return new Header(Name, bytes, _valueOffset);
    }

    /// <inheritdoc/>
    public override string ToString() => Name + ": " + Value;

    internal static string Unfold(string text)
    {
        if (text.IndexOfAny(['\r', '\n']) < 0)
            return text;
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is not '\r' and not '\n')
                sb.Append(c);
        }

        return sb.ToString();
    }
}
