namespace Mailseal.Spfd;

/// <summary>Which trace header a result is recorded in (policyd-spf's <c>Header_Type</c>).</summary>
public enum HeaderType
{
    /// <summary><c>SPF</c>: a <c>Received-SPF:</c> header (RFC 7208 section 9.1), the default.</summary>
    Spf,

    /// <summary><c>AR</c>: an <c>Authentication-Results:</c> header (RFC 8601).</summary>
    AuthenticationResults,

    /// <summary><c>None</c>: no header; results are logged only.</summary>
    None,
}
