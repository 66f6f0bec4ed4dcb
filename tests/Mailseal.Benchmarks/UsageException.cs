namespace Mailseal.Benchmarks;

/// <summary>Bad command-line arguments: the dispatcher prints the message on one line and exits 64.</summary>
public sealed class UsageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without details.</summary>
    public UsageException()
        : base("bad arguments")
    {
    }
}
