namespace Mailseal.Greyd;

/// <summary>What the greylist decided for one triplet (postgrey's smtpd_access_policy cases).</summary>
public enum GreylistOutcome
{
    /// <summary>The client is on the automatic whitelist: pass, no header.</summary>
    ClientAutoWhitelisted,

    /// <summary>Not waited long enough (new triplet or early retry): defer.</summary>
    Greylisted,

    /// <summary>The first pass after waiting: pass with an X-Greylist header.</summary>
    PassedAfterDelay,

    /// <summary>A triplet that passed before: pass, no header.</summary>
    Passed,
}
