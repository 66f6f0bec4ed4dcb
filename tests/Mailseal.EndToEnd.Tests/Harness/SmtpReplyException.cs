namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>The server answered a command with a code other than the one expected.</summary>
public sealed class SmtpReplyException : Exception
{
    /// <summary>Creates the exception for <paramref name="command"/> and its reply.</summary>
    public SmtpReplyException(string command, SmtpReply reply)
        : base($"SMTP {command}: {reply}")
    {
        Command = command;
        Reply = reply;
    }

    /// <summary>Creates an exception with a message only.</summary>
    public SmtpReplyException()
        : this("(none)", new SmtpReply(0, Array.Empty<string>()))
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public SmtpReplyException(string message)
        : base(message)
    {
        Command = string.Empty;
        Reply = new SmtpReply(0, Array.Empty<string>());
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public SmtpReplyException(string message, Exception innerException)
        : base(message, innerException)
    {
        Command = string.Empty;
        Reply = new SmtpReply(0, Array.Empty<string>());
    }

    /// <summary>The command that was refused (AUTH shows without its credentials).</summary>
    public string Command { get; }

    /// <summary>The server's reply.</summary>
    public SmtpReply Reply { get; }
}
