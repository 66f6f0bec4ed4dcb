namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>One SMTP/LMTP reply: the three-digit code and its text lines.</summary>
/// <param name="Code">The reply code, e.g. 250.</param>
/// <param name="Lines">The text after the code, one entry per reply line.</param>
public sealed record SmtpReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>The reply as the server sent it, lines joined.</summary>
    public override string ToString() => $"{Code} {string.Join(" / ", Lines)}";
}
