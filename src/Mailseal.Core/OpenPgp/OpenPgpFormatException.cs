namespace Mailseal.Core.OpenPgp;

/// <summary>OpenPGP input that is malformed, truncated or uses a construct Mailseal does not read.
/// The message is one line an admin can act on.</summary>
public sealed class OpenPgpFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OpenPgpFormatException()
    {
    }

    /// <summary>Creates the exception with a one-line message.</summary>
    public OpenPgpFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public OpenPgpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
