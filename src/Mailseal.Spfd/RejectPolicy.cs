namespace Mailseal.Spfd;

/// <summary>What a HELO or MAIL FROM result leads to; the values and names of policyd-spf's <c>HELO_reject</c> and <c>Mail_From_reject</c>.</summary>
public enum RejectPolicy
{
    /// <summary><c>Fail</c>: reject only on fail (the default).</summary>
    Fail,

    /// <summary><c>SPF_Not_Pass</c>: reject on fail, softfail and neutral.</summary>
    SpfNotPass,

    /// <summary><c>Softfail</c>: reject on fail and softfail.</summary>
    Softfail,

    /// <summary><c>Null</c> (HELO only): reject a HELO fail only for the null sender.</summary>
    Null,

    /// <summary><c>False</c>: never reject or defer, add the header only.</summary>
    False,

    /// <summary><c>No_Check</c>: do not check this identity at all.</summary>
    NoCheck,
}
