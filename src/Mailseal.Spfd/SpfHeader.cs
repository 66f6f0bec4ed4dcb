using System.Text;
using Mailseal.Dns.Spf;

namespace Mailseal.Spfd;

/// <summary>
/// Builds the trace headers. Every value that comes from the SMTP client (HELO name, sender,
/// recipient) or from a DNS record (an exp= explanation) is sanitised first: control
/// characters (CR, LF, NUL, TAB) are dropped, and a value that is not a plain token is written
/// as a quoted-string (RFC 7208 section 9.1, RFC 5322), so a HELO of
/// <c>x; identity=mailfrom; client-ip=...</c> stays one helo value and cannot add fields,
/// and a comment cannot be closed early.
/// </summary>
internal static class SpfHeader
{
    /// <summary>Longest value copied into a header from the request or DNS.</summary>
    public const int MaxValueLength = 255;

    /// <summary>The result as policyd-spf writes it in Received-SPF: Pass, Fail, Softfail, Neutral, None, Permerror, Temperror.</summary>
    public static string ResultWord(SpfResultCode code) => code switch
    {
        SpfResultCode.Pass => "Pass",
        SpfResultCode.Fail => "Fail",
        SpfResultCode.SoftFail => "Softfail",
        SpfResultCode.Neutral => "Neutral",
        SpfResultCode.None => "None",
        SpfResultCode.TempError => "Temperror",
        _ => "Permerror",
    };

    /// <summary>The explanation policyd-spf gives for a result when the domain published none.</summary>
    public static string DefaultExplanation(SpfResultCode code) => code switch
    {
        SpfResultCode.Pass => "sender SPF authorized",
        SpfResultCode.Fail => "SPF fail - not authorized",
        SpfResultCode.SoftFail => "domain owner discourages use of this host",
        SpfResultCode.Neutral => "access neither permitted nor denied",
        SpfResultCode.None => "no SPF record",
        SpfResultCode.TempError => "temporary DNS error in processing",
        _ => "permanent error in processing",
    };

    /// <summary>
    /// <c>Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=...; helo=...; envelope-from=...; receiver=... </c>
    /// The identity is always the one the result belongs to: a HELO pass is labelled identity=helo.
    /// The comment is policyd-spf's (spf_engine, checked side by side in the tests): "mailfrom"
    /// for every MAIL FROM result, None included; for a HELO result the check's explanation
    /// (<paramref name="explanation"/>, else <see cref="DefaultExplanation"/>), "no SPF record" for None.
    /// </summary>
    public static string ReceivedSpf(SpfResultCode code, string identity, string clientIp, string helo, string sender, string receiver, string? explanation = null)
    {
        string comment = identity != "helo" ? identity
            : code == SpfResultCode.None ? "no SPF record"
            : Comment(Clean(explanation ?? DefaultExplanation(code)));
        return "Received-SPF: " + ResultWord(code) + " (" + comment + ") " + Fields(identity, clientIp, helo, sender, receiver);
    }

    /// <summary>
    /// The explanation policyd-spf (pyspf) puts in a HELO header's comment: the domain's own
    /// explanation for a fail, "SPF Temporary Error: ..." / "SPF Permanent Error: ..." with the
    /// problem for the errors, else <see cref="DefaultExplanation"/>.
    /// </summary>
    public static string HeloExplanation(SpfResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Code switch
        {
            SpfResultCode.Fail => result.Explanation ?? DefaultExplanation(result.Code),
            SpfResultCode.TempError => "SPF Temporary Error: " + (result.Problem ?? "DNS error"),
            SpfResultCode.PermError => "SPF Permanent Error: " + (result.Problem ?? "invalid record"),
            _ => DefaultExplanation(result.Code),
        };
    }

    /// <summary><c>Authentication-Results: ID; spf=pass (comment) smtp.mailfrom=example.com</c> or <c>smtp.helo=NAME</c> (RFC 8601).</summary>
    public static string AuthenticationResults(string authservId, SpfResultCode code, string identity, string clientIp, string helo, string sender, string receiver)
    {
        var property = identity == "helo" ? "smtp.helo=" + Value(helo) : "smtp.mailfrom=" + Value(DomainOf(sender));
        return "Authentication-Results: " + Value(authservId) + "; spf=" + ResultWord(code).ToLowerInvariant()
            + " (" + Comment(DefaultExplanation(code)) + ") " + property
            + " (" + Comment($"client-ip={clientIp}; helo={Token(helo)}; envelope-from={Token(sender)}; receiver={Token(receiver)}") + ")";
    }

    /// <summary>The trace header for a skipped check: <c>X-Comment: REASON - client-ip=...</c>, or an AR <c>none</c> result.</summary>
    public static string Skipped(HeaderType type, string authservId, string reason, string clientIp, string helo, string sender, string receiver)
    {
        var details = $"client-ip={clientIp}; helo={Value(helo)}; envelope-from={Value(sender)}; receiver={Value(receiver)} ";
        if (type == HeaderType.AuthenticationResults)
            return "Authentication-Results: " + Value(authservId) + "; none (" + Comment(reason + " - " + details.TrimEnd()) + ")";
        return "X-Comment: " + reason + " - " + details;
    }

    /// <summary>The domain part of an address (the address itself when it has no '@').</summary>
    public static string DomainOf(string address)
    {
        var at = address.LastIndexOf('@');
        return at >= 0 ? address[(at + 1)..] : address;
    }

    /// <summary>A header value: a token as is, anything else as a quoted-string.</summary>
    public static string Value(string raw)
    {
        var clean = Clean(raw);
        if (clean.Length > 0 && clean.All(IsTokenChar))
            return clean;
        var sb = new StringBuilder(clean.Length + 2).Append('"');
        foreach (var c in clean)
        {
            if (c is '"' or '\\')
                sb.Append('\\');
            sb.Append(c);
        }

        return sb.Append('"').ToString();
    }

    /// <summary>Text safe inside a header comment: no control characters, parentheses or backslashes.</summary>
    public static string Comment(string raw)
    {
        var clean = Clean(raw);
        var sb = new StringBuilder(clean.Length);
        foreach (var c in clean)
            sb.Append(c is '(' or ')' or '\\' ? ' ' : c);
        return sb.ToString();
    }

    private static string Fields(string identity, string clientIp, string helo, string sender, string receiver) =>
        $"identity={identity}; client-ip={clientIp}; helo={Value(helo)}; envelope-from={Value(sender)}; receiver={Value(receiver)} ";

    private static string Token(string raw) => Comment(Clean(raw)).Replace(';', ' ');

    private static string Clean(string raw)
    {
        var sb = new StringBuilder(Math.Min(raw.Length, MaxValueLength));
        foreach (var c in raw)
        {
            if (sb.Length >= MaxValueLength)
                break;
            if (!char.IsControl(c) && c != '\u2028' && c != '\u2029')
                sb.Append(c);
        }

        return sb.ToString().Trim();
    }

    // RFC 5322 atext, plus '@' and ':' so addresses and IPv6 literals stay readable as
    // policyd-spf writes them; non-ASCII letters are allowed as in RFC 6532.
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c > 0x7f && char.IsLetterOrDigit(c)
        || c is '.' or '-' or '_' or '@' or ':' or '+' or '=' or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '/' or '?' or '^' or '`' or '{' or '|' or '}' or '~' or '<' or '>';
}
