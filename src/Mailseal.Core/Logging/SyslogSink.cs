using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Events;

namespace Mailseal.Core.Logging;

/// <summary>
/// A Serilog sink that sends each event as one RFC 3164 datagram to a local syslog socket
/// (<c>/dev/log</c>), facility mail, in the shape glibc's syslog(3) uses and Postfix's own
/// lines have: <c>&lt;22&gt;Nov 22 03:04:05 mailseal-pipe[1234]: QUEUEID: to=&lt;...&gt;, ...</c>.
/// It never throws into the mail path and never blocks it: when the socket is missing, full
/// or refuses the datagram, the line is dropped and counted (<see cref="DroppedCount"/>).
/// </summary>
public sealed class SyslogSink : ILogEventSink, IDisposable
{
    /// <summary>syslog facility LOG_MAIL.</summary>
    public const int MailFacility = 2;

    private readonly UnixDatagramSender _sender;
    private readonly string _tag;
    private readonly int _maxMessageBytes;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _dropped;
    private long _sent;
    private bool _disposed;

    /// <summary>Creates the sink. Nothing is opened until the first event.</summary>
    /// <param name="socketPath">The syslog socket (<c>syslog_socket</c>, default /dev/log).</param>
    /// <param name="toolName">Program name in the tag (<c>mailseal-pipe</c>).</param>
    /// <param name="processId">Process id in the tag.</param>
    /// <param name="maxMessageBytes">Longest datagram in bytes; longer lines are cut (RFC 3164 allows 1024, local daemons accept more).</param>
    /// <param name="timeProvider">Clock for the timestamp (null = system).</param>
    public SyslogSink(string socketPath, string toolName, int processId, int maxMessageBytes = 2048, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentException.ThrowIfNullOrEmpty(toolName);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 64);
        _sender = new UnixDatagramSender(socketPath);
        _tag = string.Create(CultureInfo.InvariantCulture, $"{toolName}[{processId}]");
        _maxMessageBytes = maxMessageBytes;
        _time = timeProvider ?? TimeProvider.System;
        SocketPath = socketPath;
    }

    /// <summary>The socket datagrams are sent to.</summary>
    public string SocketPath { get; }

    /// <summary>Lines dropped because the socket was missing, full or refused them.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Lines handed to the socket.</summary>
    public long SentCount => Interlocked.Read(ref _sent);

    /// <summary>The syslog severity (RFC 5424 numbers) for a Serilog level.</summary>
    public static int Severity(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => 7,
        LogEventLevel.Information => 6,
        LogEventLevel.Warning => 4,
        LogEventLevel.Error => 3,
        _ => 2,
    };

    /// <summary>Formats one datagram's text (without sending it).</summary>
    public string Format(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        int priority = (MailFacility * 8) + Severity(logEvent.Level);
        DateTimeOffset now = _time.GetLocalNow();

        // RFC 3164 TIMESTAMP: "Mmm dd hh:mm:ss", the day padded with a space.
        string stamp = string.Create(CultureInfo.InvariantCulture,
            $"{now.ToString("MMM", CultureInfo.InvariantCulture)} {now.Day,2} {now:HH:mm:ss}");
        return string.Create(CultureInfo.InvariantCulture,
            $"<{priority}>{stamp} {_tag}: {LogText.Render(logEvent)}");
    }

    /// <inheritdoc />
    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        byte[] datagram;
        try
        {
            datagram = Truncate(Encoding.UTF8.GetBytes(Format(logEvent)));
        }
        catch (FormatException)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        lock (_lock)
        {
            if (_disposed)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            // Missing socket (ENOENT), nobody listening (ECONNREFUSED), receiver full (EAGAIN):
            // drop the line. A mail must never wait for, or fail because of, syslog.
            if (_sender.TrySend(datagram))
                Interlocked.Increment(ref _sent);
            else
                Interlocked.Increment(ref _dropped);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _sender.Dispose();
        }
    }

    private byte[] Truncate(byte[] datagram)
    {
        if (datagram.Length <= _maxMessageBytes)
        {
            return datagram;
        }

        // Cut on a UTF-8 character boundary.
        int length = _maxMessageBytes;
        while (length > 0 && (datagram[length] & 0xC0) == 0x80)
        {
            length--;
        }

        return datagram[..length];
    }
}
