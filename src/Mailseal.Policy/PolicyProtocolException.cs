namespace Mailseal.Policy;

/// <summary>
/// A request broke the protocol or one of the limits in <see cref="PolicyServerOptions"/>.
/// The server logs <see cref="Exception.Message"/> (a one-line reason) and closes the
/// connection without a reply.
/// </summary>
public sealed class PolicyProtocolException : Exception
{
    /// <summary>Creates the exception with a one-line reason.</summary>
    public PolicyProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line reason and its cause.</summary>
    public PolicyProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic reason.</summary>
    public PolicyProtocolException()
        : base("malformed policy request")
    {
    }
}
