using Mailseal.Pipeline.Server;
using Mailseal.Pipeline.Smtp;

namespace Mailseal.Pipeline.Tests.Server;

/// <summary>A message handler that records what it got; its behaviour is a delegate per test.</summary>
internal sealed class RecordingHandler : ISmtpMessageHandler
{
    private readonly Func<SmtpEnvelope, Stream, CancellationToken, Task<SmtpReply>>? _behaviour;

    public RecordingHandler(Func<SmtpEnvelope, Stream, CancellationToken, Task<SmtpReply>>? behaviour = null) => _behaviour = behaviour;

    public List<(SmtpEnvelope Envelope, byte[] Data)> Messages { get; } = [];

    public static SmtpReply Ok { get; } = new(250, ["2.0.0 Ok: queued"]);

    public async Task<SmtpReply> HandleAsync(SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        if (_behaviour is not null)
            return await _behaviour(envelope, message, cancellationToken);
        var copy = new MemoryStream();
        await message.CopyToAsync(copy, cancellationToken);
        lock (Messages)
            Messages.Add((envelope, copy.ToArray()));
        return Ok;
    }
}
