namespace Mailseal.Greyd;

/// <summary>
/// Where triplets and the client whitelist live. One call per request decides and records it
/// atomically (an embedded transaction, or one round trip to PostgreSQL). Implementations are
/// safe to call from many connections at once.
/// </summary>
public interface IGreylistStore : IAsyncDisposable
{
    /// <summary>A short name for log lines: <c>sqlite:/var/lib/mailseal/greyd.sqlite</c>, <c>postgresql:Host=db</c>.</summary>
    string Description { get; }

    /// <summary>Creates the schema if missing; throws when the store cannot be reached.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Decides one triplet and records the sighting.</summary>
    /// <param name="tripletKey">The triplet key (<see cref="GreylistKeys.Triplet"/>).</param>
    /// <param name="clientKey">The automatic-whitelist key of the client, or null when clients are not counted.</param>
    /// <param name="cancellationToken">Bounds the wait.</param>
    ValueTask<GreylistVerdict> CheckAsync(string tripletKey, string? clientKey, CancellationToken cancellationToken);

    /// <summary>Deletes expired triplets and clients; returns how many rows went. Never holds up <see cref="CheckAsync"/> for long.</summary>
    Task<long> ExpireAsync(CancellationToken cancellationToken);

    /// <summary>Adds rows taken from another greylist (postgrey); rows already present win. Returns (triplets, clients) added.</summary>
    Task<(long Triplets, long Clients)> ImportAsync(IEnumerable<KeyValuePair<string, (long First, long Last)>> triplets, IEnumerable<KeyValuePair<string, (long Count, long Last)>> clients, CancellationToken cancellationToken);
}
