namespace Mailseal.Policy;

/// <summary>
/// A timeout linked to an outer token and re-armed for each request of one connection: one
/// linked source and one timer per connection instead of a new pair per request (a daemon
/// serves tens of thousands of requests a second, and each pair is allocations, a registration
/// on the outer token and a timer-queue insert and removal). A source that fired, or whose
/// outer token was cancelled, cannot be reset; it is replaced at the next <see cref="Start"/>.
/// </summary>
internal sealed class ReusableTimeout(CancellationToken outer) : IDisposable
{
    private CancellationTokenSource? _source;

    /// <summary>The outer token this timeout is linked to.</summary>
    public CancellationToken Outer => outer;

    /// <summary>Arms the timer to fire <paramref name="timeout"/> from now (restarting it if armed); returns the token it cancels.</summary>
    public CancellationToken Start(TimeSpan timeout)
    {
        _source ??= CancellationTokenSource.CreateLinkedTokenSource(outer);
        _source.CancelAfter(timeout);
        return _source.Token;
    }

    /// <summary>Disarms the timer until the next <see cref="Start"/>.</summary>
    public void Stop()
    {
        if (_source is not null && !_source.TryReset())
        {
            _source.Dispose();
            _source = null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _source?.Dispose();
        _source = null;
    }
}
