namespace Mailseal.Pipeline.Smtp;

/// <summary>One SMTP reply: its code and its text lines (without the code prefix).</summary>
/// <param name="Code">The three-digit reply code.</param>
/// <param name="Lines">The text of each line, in order.</param>
public sealed record SmtpReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>2xx.</summary>
    public bool IsPositive => Code is >= 200 and < 300;

    /// <summary>4xx: try again later.</summary>
    public bool IsTransientFailure => Code is >= 400 and < 500;

    /// <summary>The reply as one line, e.g. <c>552 5.3.4 Message size exceeds fixed limit</c>.</summary>
    public override string ToString() => $"{Code} {string.Join(' ', Lines)}".TrimEnd();
}
