namespace Mailseal.Pipeline.Scrub;

/// <summary>What a scrub rule does.</summary>
public enum ScrubRuleKind
{
    /// <summary>Remove every field whose name matches (a trailing <c>*</c> matches a prefix).</summary>
    Drop,

    /// <summary>
    /// In the topmost Received field, when it records an authenticated submission (Postfix's
    /// <c>with ESMTPSA</c>/<c>ESMTPA</c>, or <c>(Authenticated sender: ...)</c>), replace the
    /// client's HELO name, host name and IP with <c>[127.0.0.1] (localhost [127.0.0.1])</c>.
    /// </summary>
    AnonymizeSubmissionReceived,
}
