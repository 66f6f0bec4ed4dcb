using Mailseal.Core.Keys;
using Mailseal.Pipeline.Processing;
using Mailseal.Pipeline.Server;

namespace Mailseal.Filterd;

/// <summary>Everything one start (or reload) of mailseal-filterd read from its flags and mailseal.conf.</summary>
internal sealed record FilterdSettings
{
    public required IReadOnlyList<System.Net.EndPoint> Listen { get; init; }

    public required SmtpServerOptions Server { get; init; }

    public required PipeOptions Processing { get; init; }

    public required string KeyDir { get; init; }

    public required string Database { get; init; }

    public required KeyDirectoryOptions Keys { get; init; }

    public required string SyslogSocket { get; init; }

    /// <summary>Files whose change triggers a reload (mailseal.conf, the scrub rules).</summary>
    public required IReadOnlyList<string> WatchedFiles { get; init; }

    public required TimeSpan ReloadInterval { get; init; }

    public required TimeSpan ShutdownTimeout { get; init; }
}
