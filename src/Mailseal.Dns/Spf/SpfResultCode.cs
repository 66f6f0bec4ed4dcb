namespace Mailseal.Dns.Spf;

/// <summary>The results of check_host() (RFC 7208 section 2.6).</summary>
public enum SpfResultCode
{
    /// <summary>No SPF record was found, or the domain is not a valid name to check.</summary>
    None,

    /// <summary>The domain owner makes no assertion about the client.</summary>
    Neutral,

    /// <summary>The client is authorized to use the domain.</summary>
    Pass,

    /// <summary>The client is explicitly not authorized.</summary>
    Fail,

    /// <summary>The client is probably not authorized (a weak fail).</summary>
    SoftFail,

    /// <summary>A transient error (usually DNS) stopped the check; it may succeed later.</summary>
    TempError,

    /// <summary>The published records could not be interpreted; a human must fix them.</summary>
    PermError,
}
