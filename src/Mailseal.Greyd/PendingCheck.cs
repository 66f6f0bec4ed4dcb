namespace Mailseal.Greyd;

/// <summary>
/// One request waiting in <see cref="SqliteGreylistStore"/>'s group-commit queue. Its task
/// completes once the transaction holding its writes has committed; continuations run on the
/// thread pool, never on the thread that commits the next batch.
/// </summary>
internal sealed class PendingCheck(string tripletKey, string? clientKey)
    : TaskCompletionSource<GreylistVerdict>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public string TripletKey { get; } = tripletKey;

    public string? ClientKey { get; } = clientKey;

    /// <summary>The decision, set inside the transaction and handed out after its commit.</summary>
    public GreylistVerdict Verdict { get; set; }
}
