namespace Mailseal.Greyd;

/// <summary>
/// A greylist store on this machine (the embedded SQLite one): it decides without waiting on a
/// network, so many checks can be decided at once, synchronously, in one transaction. The
/// handler then decides in batches (<see cref="Policy.IBatchPolicyHandler"/>) and the policy
/// server serves every connection from one thread.
/// </summary>
public interface ILocalGreylistStore : IGreylistStore
{
    /// <summary>
    /// Decides <paramref name="checks"/>[i] into <paramref name="verdicts"/>[i], in order (a triplet
    /// asked twice sees its first sighting), and records them in one transaction; returns once it
    /// has committed. Throws when the store fails: then nothing of the batch is recorded.
    /// </summary>
    void CheckBatch(ReadOnlySpan<(string TripletKey, string? ClientKey)> checks, Span<GreylistVerdict> verdicts);
}
