using System.Globalization;
using System.Text;

namespace Mailseal.Pipeline.Smtp;

/// <summary>
/// The original client's attributes that Postfix's XFORWARD extension carries from an
/// after-queue filter back into the re-injection smtpd (Postfix XFORWARD_README), so the
/// re-injected mail keeps the client's name, address, HELO and protocol in its Received line
/// and the logs. Values are kept as they arrived: xtext (RFC 3461 4.2), or Postfix's
/// <c>[UNAVAILABLE]</c>; only the names Postfix defines are kept.
/// </summary>
public sealed class XForward
{
    /// <summary>The attribute names Postfix defines, in the order they are forwarded.</summary>
    public static readonly IReadOnlyList<string> Names = ["NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"];

    /// <summary>Longest value kept (Postfix's own are host names and addresses, well below).</summary>
    public const int MaxValueLength = 255;

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>True when no attribute was given.</summary>
    public bool IsEmpty => _values.Count == 0;

    /// <summary>The attributes received, upper-case name to xtext value.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>
    /// Adds the <c>NAME=value</c> pairs of one XFORWARD command (without the verb). Returns false
    /// with a reason for an unknown name or a malformed value; nothing is added then.
    /// </summary>
    public bool TryAdd(string arguments, out string? error)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var parsed = new List<(string Name, string Value)>();
        foreach (string pair in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string name = eq <= 0 ? pair : pair[..eq].ToUpperInvariant();
            if (eq <= 0 || !Names.Contains(name))
            {
                error = $"unknown XFORWARD attribute '{Clip(pair)}'";
                return false;
            }

            string value = pair[(eq + 1)..];
            if (value.Length > MaxValueLength || value.Any(c => c <= ' ' || c >= 0x7F))
            {
                error = $"bad XFORWARD value for {name}";
                return false;
            }

            parsed.Add((name, value));
        }

        if (parsed.Count == 0)
        {
            error = "XFORWARD without attributes";
            return false;
        }

        foreach (var (name, value) in parsed)
            _values[name] = value;
        error = null;
        return true;
    }

    /// <summary>The decoded value of <paramref name="name"/> (xtext undone), or null if absent or unavailable.</summary>
    public string? Get(string name)
    {
        if (!_values.TryGetValue(name, out string? raw) || raw is "[UNAVAILABLE]" or "[TEMPUNAVAIL]")
            return null;
        return DecodeXtext(raw);
    }

    /// <summary>Forgets every attribute (at the end of a mail transaction, as smtpd does).</summary>
    public void Clear() => _values.Clear();

    /// <summary>A copy that a later <see cref="Clear"/> does not touch.</summary>
    public XForward Snapshot()
    {
        var copy = new XForward();
        foreach (var (k, v) in _values)
            copy._values[k] = v;
        return copy;
    }

    /// <summary>
    /// The XFORWARD commands to send to a server that announced <paramref name="offered"/>
    /// (the names after "250-XFORWARD"), each short enough for any smtpd (under 500 bytes, as
    /// Postfix's own client splits them).
    /// </summary>
    public IReadOnlyList<string> Commands(IReadOnlySet<string> offered)
    {
        ArgumentNullException.ThrowIfNull(offered);
        var commands = new List<string>();
        var line = new StringBuilder();
        foreach (string name in Names)
        {
            if (!offered.Contains(name) || !_values.TryGetValue(name, out string? value))
                continue;
            string pair = name + "=" + value;
            if (line.Length > 0 && line.Length + 1 + pair.Length > 500)
            {
                commands.Add(line.ToString());
                line.Clear();
            }

            line.Append(line.Length == 0 ? "XFORWARD " : " ").Append(pair);
        }

        if (line.Length > 0)
            commands.Add(line.ToString());
        return commands;
    }

    /// <summary>Undoes xtext: <c>+HH</c> is the byte HH; anything malformed is kept as it is.</summary>
    public static string DecodeXtext(string xtext)
    {
        ArgumentNullException.ThrowIfNull(xtext);
        if (!xtext.Contains('+', StringComparison.Ordinal))
            return xtext;
        var bytes = new List<byte>(xtext.Length);
        for (int i = 0; i < xtext.Length; i++)
        {
            if (xtext[i] == '+' && i + 2 < xtext.Length
                && byte.TryParse(xtext.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                bytes.Add(b);
                i += 2;
                continue;
            }

            bytes.Add((byte)xtext[i]);
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "..." : s;
}
