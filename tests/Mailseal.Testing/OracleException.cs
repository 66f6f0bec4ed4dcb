namespace Mailseal.Testing;

/// <summary>
/// An oracle program (gpg, sqop, rnp, node) is missing, failed, or timed out. The message names
/// the program, its exit code and its stderr, so a failing test says what went wrong at once.
/// </summary>
public sealed class OracleException : Exception
{
    /// <summary>Creates the exception with a one-paragraph explanation.</summary>
    public OracleException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public OracleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message (for serializers; not used here).</summary>
    public OracleException()
        : base("an oracle program failed")
    {
    }
}
