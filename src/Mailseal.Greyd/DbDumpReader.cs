using System.Globalization;
using System.Text;

namespace Mailseal.Greyd;

/// <summary>
/// Reads the printable output of Berkeley DB's <c>db_dump -p</c> (Debian's db-util): a header
/// up to <c>HEADER=END</c>, then key and value lines, each starting with one space, with
/// <c>\\</c> for a backslash and <c>\hh</c> for any other byte that is not printable; then
/// <c>DATA=END</c>. So a postgrey database is read without a BerkeleyDB binding.
/// </summary>
internal static class DbDumpReader
{
    /// <summary>Longest line accepted (postgrey keys are under 2 KiB: it cuts attributes at 512 bytes).</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>The key/value pairs of a dump, in order.</summary>
    public static async IAsyncEnumerable<KeyValuePair<string, string>> ReadAsync(TextReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var inData = false;
        string? key = null;
        var lineNumber = 0;
        while (await ReadLineAsync(reader, cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (!inData)
            {
                if (line == "HEADER=END")
                    inData = true;
                else if (line.StartsWith("format=", StringComparison.Ordinal) && line != "format=print")
                    throw new FormatException($"db_dump line {lineNumber}: expected format=print (db_dump -p), got {line}");
                continue;
            }

            if (line == "DATA=END")
            {
                if (key is not null)
                    throw new FormatException($"db_dump line {lineNumber}: key without a value at the end");
                inData = false;
                continue;
            }

            if (line.Length == 0 || line[0] != ' ')
                throw new FormatException($"db_dump line {lineNumber}: a data line must start with a space");
            var text = Unescape(line.AsSpan(1), lineNumber);
            if (key is null)
            {
                key = text;
            }
            else
            {
                yield return new KeyValuePair<string, string>(key, text);
                key = null;
            }
        }

        if (inData)
            throw new FormatException("db_dump output ended before DATA=END");
    }

    /// <summary>Parses postgrey's <c>first,last[,host]</c> or <c>count,last</c> value; false if it is not that.</summary>
    public static bool TryParsePair(string value, out long a, out long b)
    {
        a = b = 0;
        var parts = value.Split(',');
        return parts.Length >= 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out a)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out b);
    }

    private static string Unescape(ReadOnlySpan<char> text, int lineNumber)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\')
            {
                if (c > 0x7f)
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                else
                    bytes.Add((byte)c);
                continue;
            }

            if (i + 1 < text.Length && text[i + 1] == '\\')
            {
                bytes.Add((byte)'\\');
                i++;
            }
            else if (i + 2 < text.Length && byte.TryParse(text.Slice(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                throw new FormatException($"db_dump line {lineNumber}: bad escape");
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static async Task<string?> ReadLineAsync(TextReader reader, CancellationToken cancellationToken)
    {
        var sb = new StringBuilder();
        var buffer = new char[1];
        while (true)
        {
            var n = await reader.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return sb.Length == 0 ? null : sb.ToString();
            if (buffer[0] == '\n')
                return sb.ToString();
            if (sb.Length >= MaxLineLength)
                throw new FormatException($"db_dump line longer than {MaxLineLength} characters");
            sb.Append(buffer[0]);
        }
    }
}
