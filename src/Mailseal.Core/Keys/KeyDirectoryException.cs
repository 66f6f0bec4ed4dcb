using Mailseal.Core.Cli;

namespace Mailseal.Core.Keys;

/// <summary>
/// The key store could not be read: the database is down (transient, 4.4.3), or a key file or
/// folder is unreadable (the admin must fix permissions, 4.3.5). Either way a filter defers the
/// message; the message never includes a connection string.
/// </summary>
public sealed class KeyDirectoryException : MailsealException
{
    /// <summary>RFC 3463 "directory server failure".</summary>
    public const string DirectoryFailureStatusCode = "4.4.3";

    /// <summary>Creates the exception.</summary>
    public KeyDirectoryException()
        : this("key directory failure")
    {
    }

    /// <summary>Creates a transient failure (4.4.3).</summary>
    public KeyDirectoryException(string message)
        : base(message, DirectoryFailureStatusCode, isTransient: true, exitCode: ExitCodes.TempFail, innerException: null)
    {
    }

    /// <summary>Creates a transient failure (4.4.3) with its cause.</summary>
    public KeyDirectoryException(string message, Exception innerException)
        : base(message, DirectoryFailureStatusCode, isTransient: true, exitCode: ExitCodes.TempFail, innerException)
    {
    }

    /// <summary>Creates a failure with its status code and transience.</summary>
    public KeyDirectoryException(string message, string enhancedStatusCode, bool isTransient, Exception? innerException)
        : base(message, enhancedStatusCode, isTransient, ExitCodes.TempFail, innerException)
    {
    }
}
