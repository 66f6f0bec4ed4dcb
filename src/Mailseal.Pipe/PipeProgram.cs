// NAME
//     mailseal-pipe - Postfix content_filter: spam check, scrubbing and per-recipient encryption
//     in one process that cannot lose or truncate a message (replaces spamc | gpgit | sendmail)
// SYNOPSIS
//     master.cf:
//       mailseal-pipe unix - n n - - pipe flags=Rq user=mailseal
//         argv=/usr/bin/mailseal-pipe -q ${queue_id} -f ${sender} -- ${recipient}
//     (the tutorial's "-oi -f ${sender} ${recipient}" argv is accepted too)
// DESCRIPTION
//     Reads the message on stdin, asks spamd (SPAMC/1.5) for a verdict and puts it on the outer
//     header, scrubs the header if asked, and re-injects one copy per local recipient encrypted
//     to that recipient's key alone, plus one unchanged copy for all others, each through an SMTP
//     dialogue (sendmail -bs, or a loopback smtpd) whose final dot is sent only when every copy
//     is complete.
// DIAGNOSTICS
//     One line on stderr, "4.x.x mailseal-pipe: reason", and exit 75: Postfix keeps the mail
//     queued. Exit 67 only under --missing-key bounce. One syslog line per recipient.
// SECURITY
//     Runs as its own user (never root or postfix: pipe(8) refuses both). Plaintext is never
//     written to disk; ciphertext beyond --spool-memory goes to an unlinked 0600 temp file.
using Mailseal.Core.Cli;

namespace Mailseal.Pipe;

/// <summary>
/// Entry point of mailseal-pipe. The native multi-call binary (src/Mailseal) runs it when started
/// under that name; it never throws and returns the exit code.
/// </summary>
public static class PipeProgram
{
    /// <summary>The name the tool is installed under and logs as.</summary>
    public const string ToolName = PipeCommand.ToolName;

    /// <summary>Runs the tool on the process's standard streams.</summary>
    /// <param name="args">Command-line arguments, without the program name.</param>
    /// <returns>The exit code (sysexits).</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var context = ToolContext.ForFilter();
        var command = new PipeCommand(context);
        var host = new ToolHost(command.Root, new ToolHostOptions
        {
            ToolName = PipeCommand.ToolName,
            ConfigSection = "pipe",
            Kind = ToolKind.Filter,
            ManPage = new ManPageInfo
            {
                Sections =
                [
                    new ManPageSection("EXIT STATUS", "0 when every copy was queued; 75 (EX_TEMPFAIL) when anything failed and nothing was queued, so Postfix keeps the mail and retries; 67 (EX_NOUSER) only under --missing-key bounce."),
                    new ManPageSection("SECURITY", "Run it as a dedicated user (pipe(8) refuses root and postfix). Plaintext is never written to disk by mailseal-pipe; ciphertext may be spooled to an unlinked 0600 temp file. Postfix's own queue holds plaintext until delivery."),
                    new ManPageSection("POSTFIX", "master.cf: \"mailseal-pipe unix - n n - - pipe flags=Rq user=mailseal argv=/usr/bin/mailseal-pipe -q ${queue_id} -f ${sender} -- ${recipient}\". main.cf: \"mailseal-pipe_destination_recipient_limit = 1\", so each recipient's copy succeeds or defers on its own. Set content_filter=mailseal-pipe:dummy only with -o on the receiving smtpd (and submission) lines, never in main.cf, or the re-injected copies come back through pickup for ever. Ciphertext is about a third larger than the plaintext: keep main.cf's message_size_limit (read by sendmail -bs, postdrop, pickup and cleanup) about 1.5 times the limit the smtpd listeners announce with -o message_size_limit=; postfix/mailseal-pipe.postconf does all of this."),
                    new ManPageSection("SPAM HEADERS", "X-Spam-Flag: YES marks spam; X-Spam-Status: Yes|No, score=S required=R tests=...; X-Spam-Level: one '*' per point. They go on the outer, unencrypted header so sieve and mail clients can file spam. X-Spam-* fields that arrived with the message are removed first: only this server's verdict is kept. A message over --spam-max-size, or one spamd did not answer for under --spam-unavailable skip, gets an X-Mailseal-Spam-Check field saying why it has no verdict."),
                    new ManPageSection("SEE ALSO", "mailseal-encrypt(8), mailseal-scrub(8), pipe(8), spamd(8p)"),
                ],
            },
        }, context);
        return await host.InvokeAsync(args).ConfigureAwait(false);
    }
}
