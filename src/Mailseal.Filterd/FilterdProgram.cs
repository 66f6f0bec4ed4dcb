// NAME
//     mailseal-filterd - after-queue SMTP/LMTP content filter daemon: spam check, scrubbing and
//     per-recipient encryption with no process per message (Postfix FILTER_README's "advanced
//     content filter", the way amavis plugs in)
// SYNOPSIS
//     mailseal-filterd --listen inet:127.0.0.1:10027 --reinject smtp:127.0.0.1:10028 [options]
//     main.cf/master.cf: content_filter = mailseal-filterd:[127.0.0.1]:10027 on the receiving
//     smtpd, a "mailseal-filterd unix - - n - 20 smtp" transport and a re-injection smtpd on
//     127.0.0.1:10028 (postfix/mailseal-filterd.postconf)
// DESCRIPTION
//     Postfix's smtp client delivers each queued message; the message streams through
//     the same Mailseal.Pipeline code as mailseal-pipe (spamd, scrub, one copy per local
//     recipient's key plus one unchanged copy for the rest) into SMTP dialogues with the
//     re-injection smtpd, with XFORWARD so the copies keep the original client's name, address
//     and HELO. The end of DATA is answered 250 only after every copy's final dot was accepted.
// DIAGNOSTICS
//     Any failure answers 451 4.x.x (554 only under --missing-key bounce); Postfix keeps the
//     message. One syslog line per recipient in Postfix's shape; daemon events on stderr.
//     Start-up errors: one line and exit 75.
// SECURITY
//     Runs as its own unprivileged user; plaintext is never written to disk (ciphertext beyond
//     --spool-memory goes to an unlinked 0600 temp file); every line, size, session and wait is
//     bounded.
using Mailseal.Core.Cli;

namespace Mailseal.Filterd;

/// <summary>
/// Entry point of mailseal-filterd, hosted in the daemons' native binary (mailseald); callable
/// from tests with their own streams and cancellation. Never throws; returns the exit code.
/// </summary>
public static class FilterdProgram
{
    /// <summary>The name the tool is installed under and logs as.</summary>
    public const string ToolName = "mailseal-filterd";

    /// <summary>Runs the daemon until SIGTERM/SIGINT or <paramref name="cancellationToken"/> (a graceful stop).</summary>
    /// <param name="args">Command-line arguments, without the program name.</param>
    /// <param name="context">Streams; null = the console.</param>
    /// <param name="cancellationToken">Stops the daemon gracefully (tests).</param>
    /// <returns>The exit code (sysexits): 0 after a clean stop, 75 for a start-up error.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, ToolContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        context ??= ToolContext.FromConsole();
        var ctx = context;
        var command = new FilterdCommand((settings, ct) => FilterdDaemon.RunAsync(settings, ctx, () => ReloadAsync(args, ctx), ct));
        return await new ToolHost(command.Root, HostOptions, context).InvokeAsync(args, cancellationToken).ConfigureAwait(false);
    }

    private static ToolHostOptions HostOptions { get; } = new()
    {
        ToolName = ToolName,
        ConfigSection = "filterd",
        Kind = ToolKind.Daemon,
        ManPage = FilterdManPage.Info,
    };

    /// <summary>Reads the command line and mailseal.conf again, as at start; null when they have an error (already reported).</summary>
    private static async Task<FilterdSettings?> ReloadAsync(IReadOnlyList<string> args, ToolContext context)
    {
        FilterdSettings? read = null;
        var command = new FilterdCommand((settings, _) =>
        {
            read = settings;
            return Task.FromResult(0);
        });
        int rc = await new ToolHost(command.Root, HostOptions, context).InvokeAsync(args, CancellationToken.None).ConfigureAwait(false);
        return rc == 0 ? read : null;
    }
}
