namespace Mailseal.Pipeline.Spam;

/// <summary>
/// spamd could not give a verdict: unreachable, timed out, or answered with an error or
/// malformed reply. <see cref="IsTransient"/> is true when a later try may succeed, which for
/// a mail filter means "tempfail, keep the mail queued".
/// </summary>
public sealed class SpamdException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SpamdException()
    {
    }

    /// <summary>Creates the exception with a one-line message.</summary>
    public SpamdException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public SpamdException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception, saying whether a retry may succeed.</summary>
    public SpamdException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    /// <summary>True when a later try may succeed (spamd down, timeout, overloaded).</summary>
    public bool IsTransient { get; } = true;
}
