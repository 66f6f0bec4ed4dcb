using System.Net.Sockets;
using System.Runtime.InteropServices;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Keys;
using Mailseal.Core.Logging;
using Mailseal.Core.Systemd;
using Mailseal.Pipeline.Processing;
using Mailseal.Pipeline.Server;
using Serilog;

namespace Mailseal.Filterd;

/// <summary>
/// The running daemon: binds the listeners, serves until SIGTERM/SIGINT (stop accepting, let
/// every message in flight finish and be answered, then exit 0; after --shutdown-timeout what is
/// still in flight is abandoned unanswered, so Postfix keeps it), and re-reads mailseal.conf when
/// it changes or on SIGHUP. A reload swaps the processing settings and the key store for the
/// next message; listener settings (addresses, limits) need a restart.
/// </summary>
internal static class FilterdDaemon
{
    public static async Task<int> RunAsync(FilterdSettings settings, ToolContext context, Func<Task<FilterdSettings?>> reload, CancellationToken cancellationToken)
    {
        using var log = MailsealLogging.Create(new LoggingOptions
        {
            ToolName = FilterdProgram.ToolName,
            Mode = LogMode.Daemon,
            DaemonAlsoSyslog = true,
            SyslogSocket = settings.SyslogSocket,
            Stderr = context.Error,
        });

        var handler = new FilterdHandler(CreateRuntime(settings), log);
        await using var listener = new SmtpListener(handler, settings.Server, log);
        try
        {
            listener.Listen(settings.Listen);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            throw new MailsealException($"cannot listen on {string.Join(", ", settings.Listen)}: {e.Message}", "4.3.5", isTransient: false, ExitCodes.TempFail, e);
        }

        var notifier = SystemdNotifier.FromEnvironment();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var kill = new CancellationTokenSource();
        using var hup = new SemaphoreSlim(0, 1);
        using var graceTimer = stop.Token.Register(() =>
        {
            try
            {
                kill.CancelAfter(settings.ShutdownTimeout);
            }
            catch (ObjectDisposedException)
            {
                // already stopped
            }
        });

        // The handlers only mark the signal handled and queue the work, so the shutdown (the
        // continuations of every cancelled wait) never runs on the runtime's signal thread.
        void Stop(PosixSignalContext c)
        {
            c.Cancel = true;
            notifier.Stopping();
            ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    stop.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // already stopping
                }
            });
        }

        void Hangup(PosixSignalContext c)
        {
            c.Cancel = true;
            try
            {
                if (hup.CurrentCount == 0)
                    hup.Release();
            }
            catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
            {
                // a reload is already pending
            }
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Hangup);

        var watcher = WatchAsync(settings, handler, reload, hup, log, stop.Token);
        // systemd (Type=notify) counts the service as started only now, with the listener bound.
        if (notifier.IsEnabled && !notifier.Ready())
            log.Warning("could not send READY=1 to systemd's notify socket (${Variable})", SystemdNotifier.SocketVariable);
        log.Information("mailseal-filterd started: {Protocol} on {Listen}, re-injecting to {Reinject}, at most {Sessions} sessions",
            settings.Server.Protocol, string.Join(", ", settings.Listen), settings.Processing.Reinject.SmtpEndpoint, settings.Server.MaxSessions);
        await listener.RunAsync(stop.Token, kill.Token).ConfigureAwait(false);
        await watcher.ConfigureAwait(false);
        await handler.Current.RetireAsync().ConfigureAwait(false);
        log.Information("mailseal-filterd stopped: {Messages} messages accepted in {Connections} connections", listener.MessagesAccepted, listener.Connections);
        return ExitCodes.Ok;
    }

    internal static FilterdRuntime CreateRuntime(FilterdSettings settings)
    {
        var keys = KeyDirectoryFactory.Create(settings.KeyDir, settings.Database, settings.Keys);
        try
        {
            return new FilterdRuntime(new MessageProcessor(settings.Processing, keys), keys);
        }
        catch (ArgumentException e)
        {
            (keys as IDisposable)?.Dispose();
            throw new MailsealException(e.Message, "4.3.5", isTransient: false, ExitCodes.TempFail, e);
        }
    }

    private static async Task WatchAsync(FilterdSettings settings, FilterdHandler handler, Func<Task<FilterdSettings?>> reload, SemaphoreSlim hup, ILogger log, CancellationToken stop)
    {
        var stamps = settings.WatchedFiles.ToDictionary(f => f, Stamp, StringComparer.Ordinal);
        var interval = settings.ReloadInterval > TimeSpan.Zero ? settings.ReloadInterval : Timeout.InfiniteTimeSpan;
        while (!stop.IsCancellationRequested)
        {
            bool signalled;
            try
            {
                signalled = await hup.WaitAsync(interval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var changed = stamps.Where(s => Stamp(s.Key) != s.Value).Select(s => s.Key).ToList();
            if (!signalled && changed.Count == 0)
                continue;
            foreach (string f in stamps.Keys.ToList())
                stamps[f] = Stamp(f);
            string why = signalled ? "SIGHUP" : string.Join(", ", changed) + " changed";
            try
            {
                var next = await reload().ConfigureAwait(false);
                if (next is null)
                {
                    log.Error("reload ({Why}) failed: the configuration has an error (see above); keeping the running settings", why);
                    continue;
                }

                var old = handler.Replace(CreateRuntime(next));
                await old.RetireAsync().ConfigureAwait(false);
                if (next.Server != settings.Server || !next.Listen.SequenceEqual(settings.Listen))
                    log.Warning("reload ({Why}): listen addresses and listener limits take effect only after a restart", why);
                log.Information("reloaded the configuration ({Why})", why);
            }
#pragma warning disable CA1031 // a failed reload keeps the daemon running on the old settings
            catch (Exception e)
#pragma warning restore CA1031
            {
                log.Error("reload ({Why}) failed: {Reason}; keeping the running settings", why, e.Message);
            }
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (DateTime.MinValue, -2);
        }
    }
}
