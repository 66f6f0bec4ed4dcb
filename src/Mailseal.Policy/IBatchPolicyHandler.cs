namespace Mailseal.Policy;

/// <summary>
/// A policy handler that can also decide many requests at once, synchronously, because it waits
/// on nothing but this machine (mailseal-greyd with its embedded store). In daemon mode on Linux
/// <see cref="PolicyServer"/> then serves every connection from one thread
/// (<see cref="PolicyServerOptions.UseEventLoop"/>): it reads what every ready connection sent,
/// hands the requests of that round to <see cref="DecideBatch"/> in one call, and writes the
/// replies, with no thread hand-off, task or timer per request.
/// </summary>
public interface IBatchPolicyHandler : IPolicyHandler
{
    /// <summary>
    /// True when <see cref="DecideBatch"/> may be used: the decision never waits on a network
    /// (false, for example, with a PostgreSQL store, whose round trips must be awaited).
    /// </summary>
    bool DecidesInBatches { get; }

    /// <summary>
    /// Answers <paramref name="requests"/>[i] in <paramref name="responses"/>[i], in order (one
    /// connection may have several requests in a batch). Called from one thread at a time. An
    /// exception drops every request of the batch: each connection is closed without a reply,
    /// so Postfix applies its own default, as for <see cref="IPolicyHandler.HandleAsync"/>.
    /// </summary>
    void DecideBatch(ReadOnlySpan<PolicyRequest> requests, Span<PolicyResponse> responses);
}
