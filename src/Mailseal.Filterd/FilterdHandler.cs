using System.Globalization;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Logging;
using Mailseal.Pipeline.Processing;
using Mailseal.Pipeline.Server;
using Mailseal.Pipeline.Smtp;
using Serilog;

namespace Mailseal.Filterd;

/// <summary>
/// What mailseal-filterd does with each message Postfix hands it: the same
/// <see cref="MessageProcessor"/> as mailseal-pipe (spam check, scrub, one encrypted copy per
/// local key, one unchanged copy for the rest), re-injected with the original client's XFORWARD
/// attributes. The reply is 250 only once every copy's final dot was accepted by the
/// re-injection smtpd; any failure is 4xx (5xx only where a policy asks for a bounce), so
/// Postfix keeps the message queued. One syslog line per recipient, as mailseal-pipe writes.
/// </summary>
internal sealed class FilterdHandler : ISmtpMessageHandler
{
    private readonly ILogger _log;
    private FilterdRuntime _runtime;

    public FilterdHandler(FilterdRuntime runtime, ILogger log)
    {
        _runtime = runtime;
        _log = log;
    }

    /// <summary>Swaps in a new generation; returns the old one (to retire).</summary>
    public FilterdRuntime Replace(FilterdRuntime next) => Interlocked.Exchange(ref _runtime, next);

    public FilterdRuntime Current => Volatile.Read(ref _runtime);

    public async Task<SmtpReply> HandleAsync(SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        string? queueId = envelope.Forward.Get("IDENT");
        FilterdRuntime runtime;
        while (!(runtime = Current).TryAcquire())
        {
            // retired between the read and the acquire: the next read sees its successor
        }

        try
        {
            ProcessResult result;
            try
            {
                result = await runtime.Processor.ProcessAsync(message, envelope.Sender, envelope.Recipients, envelope.Forward, envelope.Dsn, cancellationToken).ConfigureAwait(false);
            }
            catch (MailsealException e) when (!cancellationToken.IsCancellationRequested)
            {
                string action = e.IsTransient || e.ExitCode == ExitCodes.TempFail ? "tempfail" : "bounce";
                foreach (string r in envelope.Recipients)
                    _log.Warning("{MailLine}", new MailLogLine(queueId).To(r).Action(action, e.Message).ToString());
                return action == "tempfail" ? Transient(e.EnhancedStatusCode, e.Message) : Permanent(e.EnhancedStatusCode, e.Message);
            }

            var queued = new List<string>();
            foreach (var o in result.Recipients)
            {
                var line = result.LogLine(queueId, o);
                if (o.QueueId is not null && !queued.Contains(o.QueueId, StringComparer.Ordinal))
                    queued.Add(o.QueueId);

                _log.Information("{MailLine}", line.ToString());
            }

            string ids = queued.Count == 0 ? string.Empty : " as " + string.Join(' ', queued);
            return new SmtpReply(250, [string.Create(CultureInfo.InvariantCulture, $"2.0.0 Ok: {result.Recipients.Count} recipient(s) re-injected{ids}")]);
        }
        finally
        {
            await runtime.ReleaseAsync().ConfigureAwait(false);
        }
    }

    private static SmtpReply Transient(string status, string text) =>
        new(451, [(status.StartsWith('4') ? status : "4.3.0") + " " + OneLine(text)]);

    private static SmtpReply Permanent(string status, string text) =>
        new(554, [(status.StartsWith('5') ? status : "5.3.0") + " " + OneLine(text)]);

    private static string OneLine(string s)
    {
        var clean = new string(s.Select(c => c < 0x20 || c >= 0x7F ? '?' : c).ToArray());
        return clean.Length > 400 ? clean[..400] + "..." : clean;
    }
}
