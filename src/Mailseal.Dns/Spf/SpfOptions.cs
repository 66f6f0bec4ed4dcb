namespace Mailseal.Dns.Spf;

/// <summary>Limits and settings of <see cref="SpfEvaluator"/> (RFC 7208 section 4.6.4 and 11.1).</summary>
public sealed class SpfOptions
{
    /// <summary>
    /// Most terms that cause DNS lookups (include, a, mx, ptr, exists, redirect) in one check,
    /// across all included records. Beyond it: permerror. Stops a record from making a receiver
    /// amplify queries against a victim. Default 10 (RFC 7208).
    /// </summary>
    public int DnsMechanismLimit { get; init; } = 10;

    /// <summary>Most lookups that return NXDOMAIN or no answers in one check. Beyond it: permerror. Default 2 (RFC 7208).</summary>
    public int VoidLookupLimit { get; init; } = 2;

    /// <summary>Most MX names one "mx" mechanism may resolve to addresses. Beyond it: permerror. Default 10 (RFC 7208).</summary>
    public int MxAddressLimit { get; init; } = 10;

    /// <summary>Most PTR names one "ptr" mechanism or %{p} macro resolves; the rest are ignored. Default 10 (RFC 7208).</summary>
    public int PtrAddressLimit { get; init; } = 10;

    /// <summary>The whole check_host() run, all lookups included, must end within this time, else temperror. Default 20 s (RFC 7208 section 4.6.4).</summary>
    public TimeSpan LookupTime { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The name of this host, for the %{r} macro of explanations. Default "unknown" (RFC 7208 section 7.3).</summary>
    public string ReceivingHost { get; init; } = "unknown";

    /// <summary>Longest SPF record text accepted (several 255-byte strings joined). Beyond it: permerror. Default 4096.</summary>
    public int MaxRecordLength { get; init; } = 4096;

    /// <summary>Longest explanation text kept after expansion; longer ones are cut. Default 1024.</summary>
    public int MaxExplanationLength { get; init; } = 1024;

    /// <summary>
    /// The explanation a fail gets when the domain publishes no usable exp= (a macro-string, expanded
    /// like exp= text); null leaves <see cref="SpfResult.Explanation"/> empty. Default null.
    /// </summary>
    public string? DefaultExplanation { get; init; }

    /// <summary>Source of the %{t} timestamp.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
