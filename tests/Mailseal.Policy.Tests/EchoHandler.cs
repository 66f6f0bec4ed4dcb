namespace Mailseal.Policy.Tests;

/// <summary>Answers with the attributes it saw, so a test can tell which request got which reply.</summary>
internal sealed class EchoHandler : IPolicyHandler
{
    private int _calls;

    public int Calls => _calls;

    public Func<PolicyRequest, Task>? Before { get; init; }

    public async ValueTask<PolicyResponse> HandleAsync(PolicyRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (Before is not null)
            await Before(request);
        return new PolicyResponse($"PREPEND X-Test: state={request.ProtocolState} sender={request.Sender} rcpt={request.Recipient}");
    }
}
