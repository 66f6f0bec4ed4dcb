namespace Mailseal.Core.Cli;

/// <summary>
/// A failure a Mailseal tool reports to the admin as one line. Like Npgsql's
/// <c>NpgsqlException.IsTransient</c> it answers the question a mail filter must answer:
/// may this pass later (keep the mail queued) or not. It also carries the RFC 3463 enhanced
/// status code a filter prints in front of its message (<c>4.3.5 mailseal-encrypt: ...</c>).
/// </summary>
public class MailsealException : Exception
{
    /// <summary>RFC 3463 "other or undefined mail system status", transient.</summary>
    public const string DefaultEnhancedStatusCode = "4.3.0";

    /// <summary>Creates the exception.</summary>
    public MailsealException()
        : this("unspecified failure")
    {
    }

    /// <summary>Creates a transient failure with status 4.3.0.</summary>
    public MailsealException(string message)
        : this(message, DefaultEnhancedStatusCode, isTransient: true, exitCode: ExitCodes.TempFail, innerException: null)
    {
    }

    /// <summary>Creates a transient failure with status 4.3.0 and its cause.</summary>
    public MailsealException(string message, Exception innerException)
        : this(message, DefaultEnhancedStatusCode, isTransient: true, exitCode: ExitCodes.TempFail, innerException)
    {
    }

    /// <summary>Creates a failure with every property given.</summary>
    /// <param name="message">One line an admin can act on (no newlines; they are flattened anyway).</param>
    /// <param name="enhancedStatusCode">RFC 3463 code such as <c>4.3.5</c> (configuration) or <c>4.4.3</c> (directory server down).</param>
    /// <param name="isTransient">True when retrying later may succeed without the admin's help.</param>
    /// <param name="exitCode">Exit status for interactive tools (filters always exit 75).</param>
    /// <param name="innerException">The cause, or null.</param>
    public MailsealException(string message, string enhancedStatusCode, bool isTransient, int exitCode, Exception? innerException)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(enhancedStatusCode);
        EnhancedStatusCode = enhancedStatusCode;
        IsTransient = isTransient;
        ExitCode = exitCode;
    }

    /// <summary>RFC 3463 enhanced status code printed before the message by filters.</summary>
    public string EnhancedStatusCode { get; }

    /// <summary>True when the same operation may succeed later (database or network down).</summary>
    public bool IsTransient { get; }

    /// <summary>Exit status an interactive tool returns for this failure; mail-path tools always return 75.</summary>
    public int ExitCode { get; }
}
