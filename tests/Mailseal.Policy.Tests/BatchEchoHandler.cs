namespace Mailseal.Policy.Tests;

/// <summary>
/// <see cref="EchoHandler"/>'s answers, decided in batches: records how the event loop grouped
/// the requests and on which thread, and can be told to fail.
/// </summary>
internal sealed class BatchEchoHandler : IBatchPolicyHandler
{
    private readonly Lock _gate = new();
    private readonly List<int> _batchSizes = [];
    private readonly HashSet<int> _threads = [];

    public bool DecidesInBatches { get; init; } = true;

    /// <summary>Throw from the next batches while true.</summary>
    public bool Fail { get; set; }

    /// <summary>Leave the response of requests whose sender is "null@example.com" unset (a handler bug).</summary>
    public bool ForgetNullSender { get; init; }

    public int AsyncCalls { get; private set; }

    public IReadOnlyList<int> BatchSizes
    {
        get
        {
            lock (_gate)
                return [.. _batchSizes];
        }
    }

    public int Threads
    {
        get
        {
            lock (_gate)
                return _threads.Count;
        }
    }

    public static PolicyResponse Echo(PolicyRequest request) =>
        new($"PREPEND X-Test: state={request.ProtocolState} sender={request.Sender} rcpt={request.Recipient}");

    public ValueTask<PolicyResponse> HandleAsync(PolicyRequest request, CancellationToken cancellationToken)
    {
        AsyncCalls++;
        return ValueTask.FromResult(Echo(request));
    }

    public void DecideBatch(ReadOnlySpan<PolicyRequest> requests, Span<PolicyResponse> responses)
    {
        lock (_gate)
        {
            _batchSizes.Add(requests.Length);
            _threads.Add(Environment.CurrentManagedThreadId);
        }

        if (Fail)
            throw new InvalidOperationException("boom");
        for (var i = 0; i < requests.Length; i++)
        {
            if (!(ForgetNullSender && requests[i].Sender == "null@example.com"))
                responses[i] = Echo(requests[i]);
        }
    }
}
