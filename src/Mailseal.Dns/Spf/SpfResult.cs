namespace Mailseal.Dns.Spf;

/// <summary>The outcome of one SPF check.</summary>
public sealed class SpfResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="code">The result.</param>
    /// <param name="domain">The domain whose policy was checked.</param>
    /// <param name="mechanism">The directive that matched, as written in the record, or null (default result, redirect, error).</param>
    /// <param name="explanation">The expanded exp= text when the result is fail and the domain published one; otherwise null.</param>
    /// <param name="problem">Why the result is permerror or temperror (or why none), for logs; otherwise null.</param>
    public SpfResult(SpfResultCode code, string domain, string? mechanism = null, string? explanation = null, string? problem = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        Code = code;
        Domain = domain;
        Mechanism = mechanism;
        Explanation = explanation;
        Problem = problem;
    }

    /// <summary>The result.</summary>
    public SpfResultCode Code { get; }

    /// <summary>The domain whose policy was checked (the one given to check_host()).</summary>
    public string Domain { get; }

    /// <summary>The directive that matched, as written in the record (for example "-all" or "ip4:192.0.2.0/24"), or null.</summary>
    public string? Mechanism { get; }

    /// <summary>The expanded explanation (exp= modifier) for a fail, or null when there is none or it could not be fetched.</summary>
    public string? Explanation { get; }

    /// <summary>Why the check ended in permerror or temperror (or none), or null.</summary>
    public string? Problem { get; }

    /// <summary>The result name in lower case as RFC 7208 and Received-SPF spell it ("pass", "softfail", "permerror", ...).</summary>
    public string CodeName => Code switch
    {
        SpfResultCode.None => "none",
        SpfResultCode.Neutral => "neutral",
        SpfResultCode.Pass => "pass",
        SpfResultCode.Fail => "fail",
        SpfResultCode.SoftFail => "softfail",
        SpfResultCode.TempError => "temperror",
        _ => "permerror",
    };

    /// <inheritdoc/>
    public override string ToString() =>
        CodeName + " (" + Domain + (Mechanism is null ? string.Empty : ": " + Mechanism) + (Problem is null ? string.Empty : "; " + Problem) + ")";
}
