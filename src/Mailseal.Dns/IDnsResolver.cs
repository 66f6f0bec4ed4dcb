namespace Mailseal.Dns;

/// <summary>Looks up DNS records. Implementations follow CNAME chains and never throw for DNS failures.</summary>
public interface IDnsResolver
{
    /// <summary>
    /// Queries <paramref name="name"/> for records of <paramref name="type"/>, following CNAME chains.
    /// DNS failures come back as a <see cref="DnsAnswer.Status"/>, never as an exception;
    /// only cancellation throws (<see cref="OperationCanceledException"/>).
    /// </summary>
    /// <param name="name">The name to look up, with or without a trailing dot.</param>
    /// <param name="type">The record type to ask for.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The outcome and the records of the asked type at the end of the CNAME chain.</returns>
    Task<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken);
}
