using System.Text;
using System.Text.RegularExpressions;

namespace Mailseal.Core.Tests.Messages;

/// <summary>
/// The tests' own, deliberately simple reading of a message (line by line, no limits): what
/// the pipeline's output must be judged against, written independently of the code under test.
/// </summary>
internal static partial class MessageBytes
{
    public sealed record Split(List<(string Name, byte[] Raw)> Fields, byte[] Separator, byte[] Body, string NewLine);

    public static Split SplitMessage(byte[] message)
    {
        var fields = new List<(string Name, byte[] Raw)>();
        string? newLine = null;
        var p = 0;
        while (p < message.Length)
        {
            var lf = Array.IndexOf(message, (byte)'\n', p);
            var next = lf < 0 ? message.Length : lf + 1;
            var end = lf < 0 ? message.Length : (lf > p && message[lf - 1] == '\r' ? lf - 1 : lf);
            if (lf >= 0)
                newLine ??= end == lf ? "\n" : "\r\n";
            var line = message.AsSpan(p, end - p);
            if (line.IsEmpty && lf >= 0)
                return new Split(fields, message[p..next], message[next..], newLine ?? "\n");
            if (line[0] is (byte)' ' or (byte)'\t')
            {
                if (fields.Count == 0)
                    break;
                var last = fields[^1];
                fields[^1] = (last.Name, [.. last.Raw, .. message.AsSpan(p, next - p)]);
            }
            else
            {
                var colon = line.IndexOf((byte)':');
                var name = colon > 0 ? Encoding.Latin1.GetString(line[..colon]).TrimEnd(' ', '\t') : "";
                if (name.Length == 0 || name.Any(c => c is < '!' or > '~'))
                    break;
                fields.Add((name, message[p..next]));
            }

            p = next;
        }

        return new Split(fields, [], message[p..], newLine ?? "\n");
    }

    /// <summary>The inner entity RFC 3156 wants: the Content-* fields, the separator, the body, untouched.</summary>
    public static byte[] ExpectedInner(byte[] message)
    {
        var s = SplitMessage(message);
        var inner = new List<byte>();
        foreach (var (name, raw) in s.Fields)
        {
            if (!name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                continue;
            inner.AddRange(raw);
            if (raw[^1] != '\n')
                inner.AddRange(Encoding.ASCII.GetBytes(s.NewLine));
        }

        inner.AddRange(s.Separator.Length > 0 ? s.Separator : Encoding.ASCII.GetBytes(s.NewLine));
        inner.AddRange(s.Body);
        return [.. inner];
    }

    /// <summary>The outer header fields the output must start with (DKIM-Signature renamed).</summary>
    public static byte[] ExpectedOuterFields(byte[] message)
    {
        var s = SplitMessage(message);
        var outer = new List<byte>();
        foreach (var (name, raw) in s.Fields)
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) || name.Equals("MIME-Version", StringComparison.OrdinalIgnoreCase))
                continue;
            var bytes = name.Equals("DKIM-Signature", StringComparison.OrdinalIgnoreCase)
                ? [.. "X-Original-DKIM-Signature"u8, .. raw.AsSpan(raw.AsSpan().IndexOf((byte)':'))]
                : raw;
            outer.AddRange(bytes);
            if (raw[^1] != '\n')
                outer.AddRange(Encoding.ASCII.GetBytes(s.NewLine));
        }

        return [.. outer];
    }

    public static byte[] ExtractArmor(byte[] output)
    {
        var text = Encoding.Latin1.GetString(output);
        var begin = text.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        var end = text.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "no armored PGP message in the output");
        return Encoding.Latin1.GetBytes(text[begin..(end + "-----END PGP MESSAGE-----".Length)] + "\n");
    }

    /// <summary>Checks the RFC 3156 shape Thunderbird and mutt expect, and returns the boundary.</summary>
    public static string AssertPgpMimeShape(byte[] input, byte[] output)
    {
        var nl = SplitMessage(input).NewLine;
        var outer = ExpectedOuterFields(input);
        Assert.True(output.AsSpan().StartsWith(outer), "the outer header fields are not the original ones, in order");
        var rest = Encoding.Latin1.GetString(output[outer.Length..]);
        var m = BoundaryRegex().Match(rest);
        Assert.True(m.Success, "no multipart/encrypted Content-Type");
        var b = m.Groups[1].Value;
        var expected = "MIME-Version: 1.0" + nl
            + "Content-Type: multipart/encrypted;" + nl + " protocol=\"application/pgp-encrypted\";" + nl + " boundary=\"" + b + "\"" + nl
            + nl + "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)" + nl
            + "--" + b + nl + "Content-Type: application/pgp-encrypted" + nl
            + "Content-Description: PGP/MIME version identification" + nl + nl + "Version: 1" + nl + nl
            + "--" + b + nl + "Content-Type: application/octet-stream; name=\"encrypted.asc\"" + nl
            + "Content-Description: OpenPGP encrypted message" + nl
            + "Content-Disposition: inline; filename=\"encrypted.asc\"" + nl + nl
            + "-----BEGIN PGP MESSAGE-----" + nl;
        Assert.StartsWith(expected, rest, StringComparison.Ordinal);
        Assert.EndsWith("-----END PGP MESSAGE-----" + nl + nl + "--" + b + "--" + nl, rest, StringComparison.Ordinal);
        // The generated part uses the message's own line breaks only.
        var generated = rest.Replace("\r\n", "", StringComparison.Ordinal);
        if (nl == "\r\n")
            Assert.DoesNotContain('\n', generated);
        else
            Assert.DoesNotContain('\r', rest);
        return b;
    }

    [GeneratedRegex("boundary=\"([^\"]+)\"")]
    private static partial Regex BoundaryRegex();
}
