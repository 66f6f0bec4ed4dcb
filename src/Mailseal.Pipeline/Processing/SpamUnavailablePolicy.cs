namespace Mailseal.Pipeline.Processing;

/// <summary>What to do when spamd cannot give a verdict (config <c>spam_unavailable</c>).</summary>
public enum SpamUnavailablePolicy
{
    /// <summary>Exit 75: the mail stays queued until spamd answers (default).</summary>
    Tempfail,

    /// <summary>Go on without a verdict, with an X-Mailseal-Spam-Check header saying the check did not run.</summary>
    Skip,
}
