namespace Mailseal.Greyd.Tests;

/// <summary>A store that never answers (a database gone silent), or throws at once.</summary>
internal sealed class HangingStore(bool throwAtOnce = false) : IGreylistStore
{
    public string Description => "hanging:";

    public int Calls;

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask<GreylistVerdict> CheckAsync(string tripletKey, string? clientKey, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        if (throwAtOnce)
            throw new IOException("connection refused");
        await Task.Delay(Timeout.Infinite, CancellationToken.None);
        return default;
    }

    public Task<long> ExpireAsync(CancellationToken cancellationToken) => Task.FromResult(0L);

    public Task<(long Triplets, long Clients)> ImportAsync(IEnumerable<KeyValuePair<string, (long First, long Last)>> triplets, IEnumerable<KeyValuePair<string, (long Count, long Last)>> clients, CancellationToken cancellationToken) =>
        Task.FromResult((0L, 0L));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
