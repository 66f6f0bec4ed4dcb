namespace Mailseal.Pipeline.Processing;

/// <summary>
/// Holds back every copy's final SMTP dot until all copies are completely written, so that a
/// failure in any copy (a key, the encryptor, reading stdin) queues none of them. Once all
/// arrive the dots go out together; only a refusal between two dots can still split a message.
/// </summary>
internal sealed class CommitGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;

    public CommitGate(int parties) => _waiting = parties;

    /// <summary>Called by a copy when it has written everything; returns when all have.</summary>
    public Task ArriveAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _waiting) == 0)
            _open.TrySetResult();
        return _open.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Called when anything fails: every waiting copy throws and sends no dot.</summary>
    public void Fail(Exception reason) => _open.TrySetException(new OperationCanceledException("another copy of the message failed", reason));
}
