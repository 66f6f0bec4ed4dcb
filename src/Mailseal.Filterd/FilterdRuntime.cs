using Mailseal.Core.Keys;
using Mailseal.Pipeline.Processing;

namespace Mailseal.Filterd;

/// <summary>
/// One generation of the settings that can change without a restart: the processor (spam
/// check, scrubbing, encryption, re-injection) and the key store it reads. A reload makes a new
/// one; the old one is disposed once the last message using it is answered.
/// </summary>
internal sealed class FilterdRuntime
{
    private readonly IKeyDirectory _keys;
    private int _users = 1; // the daemon's own reference, dropped by Retire
    private int _disposed;

    public FilterdRuntime(MessageProcessor processor, IKeyDirectory keys)
    {
        Processor = processor;
        _keys = keys;
    }

    public MessageProcessor Processor { get; }

    /// <summary>Takes a reference for one message; false if the runtime is already retired and idle.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int n = Volatile.Read(ref _users);
            if (n == 0)
                return false;
            if (Interlocked.CompareExchange(ref _users, n + 1, n) == n)
                return true;
        }
    }

    public ValueTask ReleaseAsync() => Interlocked.Decrement(ref _users) == 0 ? DisposeKeysAsync() : ValueTask.CompletedTask;

    /// <summary>Drops the daemon's reference: disposed once no message uses it.</summary>
    public ValueTask RetireAsync() => ReleaseAsync();

    private async ValueTask DisposeKeysAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (_keys is IAsyncDisposable ad)
            await ad.DisposeAsync().ConfigureAwait(false);
        else if (_keys is IDisposable d)
            d.Dispose();
    }
}
