namespace Mailseal.Pipeline.Smtp;

/// <summary>
/// Handing the message back to Postfix failed before it was queued: the message was NOT
/// delivered (no final dot was accepted), so the filter must exit 75 and Postfix keeps it.
/// </summary>
public sealed class ReinjectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ReinjectionException()
    {
    }

    /// <summary>Creates the exception with a one-line message.</summary>
    public ReinjectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public ReinjectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a refusing reply.</summary>
    public ReinjectionException(string message, SmtpReply? reply, Exception? innerException = null)
        : base(message, innerException)
    {
        Reply = reply;
    }

    /// <summary>The server's refusing reply, if it sent one.</summary>
    public SmtpReply? Reply { get; }

    /// <summary>
    /// The enhanced status to report (<c>4.3.0</c> by default). A 552 "message too large" is
    /// reported as <c>4.3.4</c>: the admin must raise the re-injection listener's
    /// message_size_limit (ciphertext is about a third larger than plaintext).
    /// </summary>
    public string EnhancedStatus => Reply?.Code == 552 ? "4.3.4" : "4.3.0";
}
