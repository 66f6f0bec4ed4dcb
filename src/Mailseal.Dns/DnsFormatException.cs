namespace Mailseal.Dns;

/// <summary>A DNS message could not be built or decoded.</summary>
internal sealed class DnsFormatException : Exception
{
    public DnsFormatException(string message)
        : base(message)
    {
    }
}
