using System.Text;

namespace Mailseal.Pipeline.Smtp;

/// <summary>
/// The delivery status notification parameters of one mail transaction (RFC 3461): RET and ENVID
/// from MAIL, NOTIFY and ORCPT per recipient from RCPT. mailseal-filterd announces DSN so that
/// Postfix's smtp client hands them over, and the re-injector passes them on to the re-injection
/// smtpd, so a sender's NOTIFY=SUCCESS, its envelope id and each recipient's original address
/// survive the filter (without them Postfix would send a "relayed" notice at the filter and
/// forget the original recipient). Values are validated here and forwarded byte for byte:
/// nothing the client sends can add a parameter or a line to the re-injection dialogue.
/// </summary>
public sealed class DsnParameters
{
    /// <summary>Longest ENVID (RFC 3461 4.4: 100 characters).</summary>
    public const int MaxEnvelopeIdLength = 100;

    /// <summary>Longest ORCPT value (RFC 3461 4.2: the whole parameter within 500 characters).</summary>
    public const int MaxOriginalRecipientLength = 500;

    private readonly Dictionary<string, RecipientDsn> _recipients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>RET: FULL or HDRS; null if not given.</summary>
    public string? Return { get; private set; }

    /// <summary>ENVID as xtext, as received; null if not given.</summary>
    public string? EnvelopeId { get; private set; }

    /// <summary>True when the client gave no DSN parameter at all.</summary>
    public bool IsEmpty => Return is null && EnvelopeId is null && _recipients.Count == 0;

    /// <summary>Takes a MAIL parameter if it is RET or ENVID: true if it was one (then <paramref name="error"/> says whether it was bad).</summary>
    /// <param name="name">The parameter name, upper case.</param>
    /// <param name="value">Its value (after "=").</param>
    /// <param name="error">Null if accepted, else why not (a 501 reply).</param>
    public bool TryTakeMailParameter(string name, string value, out string? error)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        error = null;
        switch (name)
        {
            case "RET":
                if (Return is not null)
                    error = "Duplicate RET";
                else if (value.Equals("FULL", StringComparison.OrdinalIgnoreCase) || value.Equals("HDRS", StringComparison.OrdinalIgnoreCase))
                    Return = value.ToUpperInvariant();
                else
                    error = "Bad RET parameter syntax";
                return true;
            case "ENVID":
                if (EnvelopeId is not null)
                    error = "Duplicate ENVID";
                else if (value.Length == 0 || value.Length > MaxEnvelopeIdLength || !IsXtext(value))
                    error = "Bad ENVID parameter syntax";
                else
                    EnvelopeId = value;
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Parses the parameters after <c>RCPT TO:&lt;addr&gt;</c>. Returns false with a reason for
    /// anything but NOTIFY and ORCPT (each at most once) with valid values.
    /// </summary>
    public static bool TryParseRecipient(string parameters, out RecipientDsn? dsn, out string? error)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        dsn = null;
        error = null;
        string? notify = null;
        string? orcpt = null;
        foreach (string p in parameters.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = p.IndexOf('=', StringComparison.Ordinal);
            string name = (eq < 0 ? p : p[..eq]).ToUpperInvariant();
            string value = eq < 0 ? string.Empty : p[(eq + 1)..];
            if (name == "NOTIFY" && notify is null)
            {
                notify = ParseNotify(value);
                if (notify is null)
                {
                    error = "Bad NOTIFY parameter syntax";
                    return false;
                }
            }
            else if (name == "ORCPT" && orcpt is null)
            {
                if (!IsOriginalRecipient(value))
                {
                    error = "Bad ORCPT parameter syntax";
                    return false;
                }

                orcpt = value;
            }
            else
            {
                error = "Unsupported option: " + (p.Length > 60 ? p[..60] + "..." : p);
                return false;
            }
        }

        dsn = notify is null && orcpt is null ? null : new RecipientDsn(notify, orcpt);
        return true;
    }

    /// <summary>Records a recipient's parameters (the first wins for a repeated address).</summary>
    public void Add(string recipient, RecipientDsn dsn)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(dsn);
        _recipients.TryAdd(recipient, dsn);
    }

    /// <summary>The parameters given for <paramref name="recipient"/>, or null.</summary>
    public RecipientDsn? For(string recipient) => _recipients.GetValueOrDefault(recipient);

    /// <summary>Forgets everything (at the end of a mail transaction).</summary>
    public void Clear()
    {
        Return = null;
        EnvelopeId = null;
        _recipients.Clear();
    }

    /// <summary>A copy that a later <see cref="Clear"/> does not touch.</summary>
    public DsnParameters Snapshot()
    {
        var copy = new DsnParameters { Return = Return, EnvelopeId = EnvelopeId };
        foreach (var (k, v) in _recipients)
            copy._recipients[k] = v;
        return copy;
    }

    /// <summary>" RET=.. ENVID=.." for MAIL FROM (empty if neither was given).</summary>
    public string MailParameters()
    {
        var s = new StringBuilder();
        if (Return is not null)
            s.Append(" RET=").Append(Return);
        if (EnvelopeId is not null)
            s.Append(" ENVID=").Append(EnvelopeId);
        return s.ToString();
    }

    /// <summary>" NOTIFY=.. ORCPT=.." for RCPT TO of <paramref name="recipient"/> (empty if none was given).</summary>
    public string RecipientParameters(string recipient)
    {
        if (For(recipient) is not { } r)
            return string.Empty;
        var s = new StringBuilder();
        if (r.Notify is not null)
            s.Append(" NOTIFY=").Append(r.Notify);
        if (r.OriginalRecipient is not null)
            s.Append(" ORCPT=").Append(r.OriginalRecipient);
        return s.ToString();
    }

    private static string? ParseNotify(string value)
    {
        if (value.Equals("NEVER", StringComparison.OrdinalIgnoreCase))
            return "NEVER";
        var seen = new List<string>(3);
        foreach (string word in value.Split(','))
        {
            string w = word.ToUpperInvariant();
            if (w is not ("SUCCESS" or "FAILURE" or "DELAY") || seen.Contains(w))
                return null;
            seen.Add(w);
        }

        return seen.Count == 0 ? null : string.Join(',', seen);
    }

    // addr-type ";" xtext (RFC 3461 4.2), or utf-8-addr-xtext for addr-type utf-8 (RFC 6533):
    // an atom, then printable characters without space or '='; UTF-8 allowed only after "utf-8;".
    private static bool IsOriginalRecipient(string value)
    {
        int semi = value.IndexOf(';', StringComparison.Ordinal);
        if (semi <= 0 || semi == value.Length - 1 || value.Length > MaxOriginalRecipientLength)
            return false;
        string type = value[..semi];
        if (!type.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            return false;
        string address = value[(semi + 1)..];
        return type.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            ? address.All(c => c > ' ' && c != '=' && c != 0x7F && !char.IsControl(c) && !char.IsWhiteSpace(c))
            : IsXtext(address);
    }

    // xtext (RFC 3461 4): "!" to "~" except "+" and "=", or "+" and two upper-case hex digits.
    private static bool IsXtext(string value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '+')
            {
                if (i + 2 >= value.Length || !IsUpperHex(value[i + 1]) || !IsUpperHex(value[i + 2]))
                    return false;
                i += 2;
            }
            else if (c < '!' || c > '~' || c == '=')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsUpperHex(char c) => char.IsAsciiDigit(c) || c is >= 'A' and <= 'F';
}
