namespace Mailseal.Pipeline.Server;

/// <summary>The message being read went over <see cref="SmtpServerOptions.MaxMessageSize"/>; the server answers 552.</summary>
public sealed class SmtpMessageTooLargeException : IOException
{
    /// <summary>Creates the exception.</summary>
    public SmtpMessageTooLargeException()
        : base("message size exceeds fixed limit")
    {
    }

    /// <summary>Creates the exception naming the limit.</summary>
    public SmtpMessageTooLargeException(long limit)
        : base($"message size exceeds fixed limit ({limit} bytes)")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SmtpMessageTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public SmtpMessageTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
