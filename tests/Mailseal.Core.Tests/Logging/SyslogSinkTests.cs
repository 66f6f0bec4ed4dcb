using System.Net.Sockets;
using System.Text;
using Mailseal.Core.Logging;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Mailseal.Core.Tests.Logging;

public sealed class SyslogSinkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailseal-syslog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.CreateCustomTimeZone("fixed", now.Offset, "fixed", "fixed");
    }

    private Socket Listen(out string path)
    {
        path = Path.Combine(_dir, "log.sock");
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    private static string Receive(Socket socket)
    {
        byte[] buffer = new byte[65536];
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private static LogEvent Event(LogEventLevel level, string text, Exception? exception = null) =>
        new(DateTimeOffset.UnixEpoch, level, exception, new MessageTemplateParser().Parse(text), []);

    [Fact]
    public void Sends_rfc3164_datagrams_with_mail_facility_tag_and_severity()
    {
        using Socket listener = Listen(out string path);
        var time = new FixedTime(new DateTimeOffset(2026, 11, 2, 3, 4, 5, TimeSpan.Zero));
        using var sink = new SyslogSink(path, "mailseal-pipe", 4242, timeProvider: time);

        sink.Emit(Event(LogEventLevel.Information, "ABC123: to=<bob@example.org>, action=encrypted"));
        sink.Emit(Event(LogEventLevel.Warning, "spamd slow"));
        sink.Emit(Event(LogEventLevel.Error, "key broken", new InvalidOperationException("bad\nthing")));
        sink.Emit(Event(LogEventLevel.Debug, "detail"));

        Assert.Equal("<22>Nov  2 03:04:05 mailseal-pipe[4242]: ABC123: to=<bob@example.org>, action=encrypted", Receive(listener));
        Assert.Equal("<20>Nov  2 03:04:05 mailseal-pipe[4242]: warning: spamd slow", Receive(listener));
        Assert.Equal("<19>Nov  2 03:04:05 mailseal-pipe[4242]: error: key broken (InvalidOperationException: bad thing)", Receive(listener));
        Assert.Equal("<23>Nov  2 03:04:05 mailseal-pipe[4242]: detail", Receive(listener));
        Assert.Equal(4, sink.SentCount);
        Assert.Equal(0, sink.DroppedCount);
    }

    [Fact]
    public void A_missing_socket_drops_and_counts_without_throwing()
    {
        using var sink = new SyslogSink(Path.Combine(_dir, "nobody-here.sock"), "mailseal-encrypt", 1);
        for (int i = 0; i < 3; i++)
        {
            sink.Emit(Event(LogEventLevel.Information, "line"));
        }

        Assert.Equal(3, sink.DroppedCount);
        Assert.Equal(0, sink.SentCount);
    }

    [Fact]
    public void A_socket_that_appears_later_receives_later_lines()
    {
        string path = Path.Combine(_dir, "log.sock");
        using var sink = new SyslogSink(path, "mailseal-encrypt", 1);
        sink.Emit(Event(LogEventLevel.Information, "lost"));
        using Socket listener = Listen(out _);
        sink.Emit(Event(LogEventLevel.Information, "kept"));
        Assert.EndsWith("mailseal-encrypt[1]: kept", Receive(listener), StringComparison.Ordinal);
        Assert.Equal(1, sink.DroppedCount);
    }

    [Fact]
    public void A_full_receiver_drops_instead_of_blocking()
    {
        using Socket listener = Listen(out string path);
        listener.ReceiveBufferSize = 4096;
        using var sink = new SyslogSink(path, "mailseal-encrypt", 1);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 5000; i++)
        {
            sink.Emit(Event(LogEventLevel.Information, new string('x', 1000)));
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.True(sink.DroppedCount > 0, "nothing was dropped although nobody reads the socket");
        Assert.Equal(5000, sink.DroppedCount + sink.SentCount);
    }

    [Fact]
    public void Long_lines_are_cut_on_a_character_boundary()
    {
        using Socket listener = Listen(out string path);
        using var sink = new SyslogSink(path, "t", 1, maxMessageBytes: 100);
        sink.Emit(Event(LogEventLevel.Information, new string('\u00e9', 200)));
        string got = Receive(listener);
        Assert.True(Encoding.UTF8.GetByteCount(got) <= 100);
        Assert.EndsWith("\u00e9", got, StringComparison.Ordinal);
    }

    [Fact]
    public void The_factory_sends_filters_to_syslog_and_daemons_to_stderr()
    {
        using Socket listener = Listen(out string path);
        var stderr = new StringWriter();

        using (Logger filter = MailsealLogging.Create(new LoggingOptions { ToolName = "mailseal-pipe", Mode = LogMode.Filter, SyslogSocket = path, Stderr = stderr, ProcessId = 7 }, out SyslogSink? sink))
        {
            filter.Mail(new MailLogLine("Q1").To("bob@example.org").Action("encrypted").Key("ABCD").Size(12));
            Assert.NotNull(sink);
        }

        Assert.EndsWith(" mailseal-pipe[7]: Q1: to=<bob@example.org>, action=encrypted, key=ABCD, size=12", Receive(listener), StringComparison.Ordinal);
        Assert.Equal(string.Empty, stderr.ToString());

        using (Logger daemon = MailsealLogging.Create(new LoggingOptions { ToolName = "mailseal-spfd", Mode = LogMode.Daemon, SyslogSocket = path, Stderr = stderr, ProcessId = 8 }, out SyslogSink? none))
        {
            daemon.Warning("listening on {Endpoint}", "inet:127.0.0.1:10040");
            Assert.Null(none);
        }

        Assert.Equal("mailseal-spfd[8]: warning: listening on inet:127.0.0.1:10040\n", stderr.ToString().ReplaceLineEndings("\n"));

        using (Logger spawn = MailsealLogging.Create(new LoggingOptions { ToolName = "mailseal-spfd", Mode = LogMode.Spawn, SyslogSocket = path, Stderr = stderr, ProcessId = 9 }))
        {
            spawn.Information("one request");
        }

        Assert.EndsWith(" mailseal-spfd[9]: one request", Receive(listener), StringComparison.Ordinal);
        Assert.Single(stderr.ToString().Split("\n", StringSplitOptions.RemoveEmptyEntries));

        using (Logger both = MailsealLogging.Create(new LoggingOptions { ToolName = "mailseal-greyd", Mode = LogMode.Daemon, DaemonAlsoSyslog = true, SyslogSocket = path, Stderr = stderr, ProcessId = 10 }))
        {
            both.Information("started");
        }

        Assert.EndsWith(" mailseal-greyd[10]: started", Receive(listener), StringComparison.Ordinal);
        Assert.EndsWith("mailseal-greyd[10]: started\n", stderr.ToString().ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }
}
