namespace Mailseal.Greyd;

/// <summary>
/// One request waiting in <see cref="SqliteGreylistStore"/>'s group-commit queue. Its task
/// completes once the transaction holding its writes has committed, and its continuation (the
/// rest of the request: the reply's send and the next read) runs at once on the committing
/// thread. Handing each one to the thread pool instead cost a wake-up per request and the pool's
/// idle workers spinning in sched_yield (4.5 calls per request under 4 connections, measured):
/// 58 against 50 µs of daemon CPU per request.
/// </summary>
internal sealed class PendingCheck(string tripletKey, string? clientKey)
    : TaskCompletionSource<GreylistVerdict>
{
    public string TripletKey { get; } = tripletKey;

    public string? ClientKey { get; } = clientKey;
}
