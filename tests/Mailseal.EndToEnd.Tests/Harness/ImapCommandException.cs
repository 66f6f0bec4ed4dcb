namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>The IMAP server answered a command with NO or BAD.</summary>
public sealed class ImapCommandException : Exception
{
    /// <summary>Creates the exception for <paramref name="command"/> and the server's answer.</summary>
    public ImapCommandException(string command, string response)
        : base($"IMAP {command}: {response}")
    {
        Command = command;
        Response = response;
    }

    /// <summary>Creates an exception with no details.</summary>
    public ImapCommandException()
        : this("(none)", string.Empty)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public ImapCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
        Command = string.Empty;
        Response = string.Empty;
    }

    /// <summary>The command name (LOGIN shows without its credentials).</summary>
    public string Command { get; }

    /// <summary>The tagged response after the tag, e.g. "NO [AUTHENTICATIONFAILED] ...".</summary>
    public string Response { get; }
}
