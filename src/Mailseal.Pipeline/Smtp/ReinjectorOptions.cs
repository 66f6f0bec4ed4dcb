namespace Mailseal.Pipeline.Smtp;

/// <summary>Settings and limits for re-injection (config section <c>[pipe]</c>, <c>[filterd]</c>).</summary>
public sealed record ReinjectorOptions
{
    /// <summary><c>reinject</c>: sendmail-bs (default) or smtp.</summary>
    public ReinjectionMode Mode { get; init; } = ReinjectionMode.SendmailBs;

    /// <summary><c>sendmail_path</c>: Postfix's sendmail.</summary>
    public string SendmailPath { get; init; } = "/usr/sbin/sendmail";

    /// <summary>Extra sendmail arguments before <c>-bs</c>, e.g. <c>-C /etc/postfix-out</c> for a second instance.</summary>
    public IReadOnlyList<string> SendmailArguments { get; init; } = [];

    /// <summary><c>reinject_smtp</c>: where the re-injection smtpd listens, inet:HOST:PORT.</summary>
    public string SmtpEndpoint { get; init; } = "inet:127.0.0.1:10028";

    /// <summary>The name sent in EHLO.</summary>
    public string HeloName { get; init; } = "localhost";

    /// <summary>How long connecting (or starting sendmail) and each reply may take.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// The longest reply line read. RFC 5321 allows 512 octets; Postfix stays well below. The
    /// bound stops a broken peer from making the filter buffer without end.
    /// </summary>
    public int MaxReplyLineLength { get; init; } = 4096;

    /// <summary>The most lines in one multi-line reply (an EHLO reply has a dozen).</summary>
    public int MaxReplyLines { get; init; } = 100;
}
