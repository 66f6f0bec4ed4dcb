using System.Globalization;
using System.Text;

namespace Mailseal.Core.Logging;

/// <summary>
/// Builds a log line in Postfix's shape so the admin's grep, pflogsumm and fail2ban habits
/// keep working: <c>QUEUEID: to=&lt;bob@example.org&gt;, action=encrypted, key=FPR, size=N</c>.
/// Without a queue id the line starts with <c>NOQUEUE:</c>, as Postfix's do. Values are made
/// safe for one line (control characters become <c>?</c>) and cut at
/// <see cref="MaxValueLength"/> characters. Only put metadata here: never a body or a password.
/// </summary>
public sealed class MailLogLine
{
    /// <summary>Longest value kept in a field.</summary>
    public const int MaxValueLength = 512;

    private readonly StringBuilder _text = new();
    private bool _hasField;

    /// <summary>Starts a line for a message.</summary>
    /// <param name="queueId">Postfix queue id, or null/empty when unknown.</param>
    public MailLogLine(string? queueId)
    {
        _text.Append(string.IsNullOrEmpty(queueId) ? "NOQUEUE" : Clean(queueId)).Append(':');
    }

    /// <summary>Adds <c>to=&lt;address&gt;</c>.</summary>
    public MailLogLine To(string address) => Add("to", "<" + Clean(address) + ">", raw: true);

    /// <summary>Adds <c>from=&lt;address&gt;</c> (empty for the null sender, as Postfix writes it).</summary>
    public MailLogLine From(string address) => Add("from", "<" + Clean(address) + ">", raw: true);

    /// <summary>Adds <c>action=VALUE</c>, with an optional <c>(detail)</c> after it as Postfix does for status.</summary>
    public MailLogLine Action(string action, string? detail = null) =>
        Add("action", detail is null ? Clean(action) : Clean(action) + " (" + Clean(detail) + ")", raw: true);

    /// <summary>Adds <c>key=FINGERPRINT</c> (upper-case hex when given bytes).</summary>
    public MailLogLine Key(ReadOnlySpan<byte> fingerprint) => Add("key", Convert.ToHexString(fingerprint));

    /// <summary>Adds <c>key=VALUE</c>.</summary>
    public MailLogLine Key(string fingerprint) => Add("key", fingerprint);

    /// <summary>Adds <c>size=N</c> (bytes).</summary>
    public MailLogLine Size(long bytes) => Add("size", bytes.ToString(CultureInfo.InvariantCulture));

    /// <summary>Adds <c>name=value</c>.</summary>
    public MailLogLine Add(string name, string value) => Add(name, value, raw: false);

    /// <inheritdoc />
    public override string ToString() => _text.ToString();

    private MailLogLine Add(string name, string value, bool raw)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        _text.Append(_hasField ? ", " : " ").Append(Clean(name)).Append('=').Append(raw ? value : Clean(value));
        _hasField = true;
        return this;
    }

    private static string Clean(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder(Math.Min(value.Length, MaxValueLength));
        foreach (char c in value)
        {
            if (sb.Length >= MaxValueLength)
            {
                sb.Append("...");
                break;
            }

            sb.Append(char.IsControl(c) ? '?' : c);
        }

        return sb.ToString();
    }
}
