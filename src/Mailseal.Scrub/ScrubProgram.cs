// NAME
//     mailseal-scrub - anonymise a message's header (replaces the pcre smtp_header_checks)
// SYNOPSIS
//     mailseal-scrub [--scrub-rules FILE] [--queue-id ID] [--config FILE] < message > message
//     mailseal-scrub postfix-header-checks [--scrub-rules FILE]
//     mailseal-scrub rules [--scrub-rules FILE]
// DESCRIPTION
//     Drops User-Agent, X-Mailer, X-Enigmail and X-Originating-IP, and replaces the client's
//     name and address in the topmost Received field of an authenticated submission with
//     [127.0.0.1] (localhost [127.0.0.1]). Every other byte passes unchanged; a field that a
//     DKIM-Signature's h= list covers is never altered. mailseal-pipe applies the same rules
//     in-process; the postfix-header-checks command prints the cleanup(8) equivalent.
// DIAGNOSTICS
//     One line on stderr, "4.x.x mailseal-scrub: reason", and exit 75. One syslog line per message.
// SECURITY
//     Reads the header block into a bounded buffer and streams the body; writes no files.
using Mailseal.Core.Cli;

namespace Mailseal.Scrub;

/// <summary>
/// Entry point of mailseal-scrub. The native multi-call binary (src/Mailseal) runs it when started
/// under that name; it never throws and returns the exit code.
/// </summary>
public static class ScrubProgram
{
    /// <summary>The name the tool is installed under and logs as.</summary>
    public const string ToolName = ScrubCommand.ToolName;

    /// <summary>Runs the tool on the process's standard streams.</summary>
    /// <param name="args">Command-line arguments, without the program name.</param>
    /// <returns>The exit code (sysexits).</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var context = ToolContext.ForFilter();
        var command = new ScrubCommand(context);
        var host = new ToolHost(command.Root, new ToolHostOptions
        {
            ToolName = ScrubCommand.ToolName,
            ConfigSection = "scrub",
            Kind = ToolKind.Filter,
            ManPage = new ManPageInfo
            {
                Sections =
                [
                    new ManPageSection("EXIT STATUS", "0 when the message was written; 75 (EX_TEMPFAIL) on any error, so Postfix keeps the mail queued."),
                    new ManPageSection("SECURITY", "Reads the header block into a bounded buffer and streams the body; writes no files. A DKIM-signed field is never altered: scrub before signing."),
                    new ManPageSection("SEE ALSO", "mailseal-pipe(8), header_checks(5), pcre_table(5)"),
                ],
            },
        }, context);
        return await host.InvokeAsync(args).ConfigureAwait(false);
    }
}
