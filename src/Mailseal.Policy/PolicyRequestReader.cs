namespace Mailseal.Policy;

/// <summary>
/// Reads policy requests from one asynchronous stream (a connection, or stdin in spawn mode)
/// with <see cref="PolicyRequestParser"/>. Each call returns the next complete request,
/// <c>null</c> at a clean end of input, or throws <see cref="PolicyProtocolException"/> (malformed, oversized, read timeout) or
/// <see cref="TimeoutException"/> (nothing arrived within the idle timeout). The idle and read
/// timeouts run on one timer per connection, re-armed for each request (not a new linked token
/// source and timer per request): a daemon reads tens of thousands of requests a second.
/// </summary>
public sealed class PolicyRequestReader : IDisposable
{
    private readonly Stream _input;
    private readonly PolicyServerOptions _options;
    private readonly PolicyRequestParser _parser;
    private ReusableTimeout? _timeout;
    private bool _disposed;

    /// <summary>Creates a reader over a connection's input.</summary>
    public PolicyRequestReader(Stream input, PolicyServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        _input = input;
        _options = options;
        _parser = new PolicyRequestParser(options);
    }

    /// <summary>Reads the next request.</summary>
    /// <returns>The request, or <c>null</c> when the peer closed the connection between requests.</returns>
    public async ValueTask<PolicyRequest?> ReadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_timeout is null || _timeout.Outer != cancellationToken)
        {
            _timeout?.Dispose();
            _timeout = new ReusableTimeout(cancellationToken);
        }

        var timeout = _timeout;
        try
        {
            // Idle until the first byte of a request, then the read timeout covers the whole request.
            var idle = timeout.Start(_options.IdleTimeout);
            if (_parser.IsEmpty && !await FillAsync(idle, isIdle: true, cancellationToken).ConfigureAwait(false))
                return null;

            var read = timeout.Start(_options.ReadTimeout);
            while (true)
            {
                if (_parser.TryTake() is { } request)
                    return request;
                if (!await FillAsync(read, isIdle: false, cancellationToken).ConfigureAwait(false))
                    throw new PolicyProtocolException(_parser.ClosedInsideMessage);
            }
        }
        finally
        {
            // No timer runs between requests: the handler has its own limit.
            timeout.Stop();
        }
    }

    /// <summary>Releases the connection's timer.</summary>
    public void Dispose()
    {
        _disposed = true;
        _timeout?.Dispose();
        _timeout = null;
    }

    private async ValueTask<bool> FillAsync(CancellationToken timeoutToken, bool isIdle, CancellationToken outer)
    {
        var space = _parser.FreeSpace();
        int read;
        try
        {
            // Sockets honour the token themselves; a pipe or console stream (spawn mode on a
            // pipe) may not, so the wait is bounded from outside as well.
            read = _input.CanTimeout
                ? await _input.ReadAsync(space, timeoutToken).ConfigureAwait(false)
                : await _input.ReadAsync(space, timeoutToken).AsTask().WaitAsync(timeoutToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!outer.IsCancellationRequested)
        {
            if (isIdle)
                throw new TimeoutException($"no request within {(long)_options.IdleTimeout.TotalMilliseconds} ms");
            throw new PolicyProtocolException($"request not complete within {(long)_options.ReadTimeout.TotalMilliseconds} ms");
        }

        _parser.Advance(read);
        return read > 0;
    }
}
