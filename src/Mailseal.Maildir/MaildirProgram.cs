// NAME
//     mailseal-maildir - encrypt plaintext already stored in Maildir folders, in place
// SYNOPSIS
//     mailseal-maildir encrypt --user ADDRESS [--folder NAME ...] [--maildir PATH] [--dry-run]
//     mailseal-maildir encrypt --all-users --folder Sent      (the timer)
// DESCRIPTION
//     For each message file in cur/ that is not already encrypted (the detector of
//     mailseal-encrypt), writes its PGP/MIME form to tmp/ and swaps it in under Dovecot's
//     uidlist lock, keeping the UID, flags, keywords and mtime (INTERNALDATE); then runs
//     doveadm force-resync and drops the folder's dovecot.index.cache.
// DIAGNOSTICS
//     A summary on stdout, progress on stderr (a terminal, or --progress), one syslog line per
//     folder. Exit 0 done, 64 usage, 75 anything that may pass later (no key, I/O, lock timeout).
// SECURITY
//     Runs as the mail user and refuses root unless --allow-root. Writes ciphertext only (tmp/
//     files and the unlinked spool); the plaintext files it replaces are unlinked.
using Mailseal.Core.Cli;

namespace Mailseal.Maildir;

/// <summary>Entry point of mailseal-maildir, callable from tests with their own streams.</summary>
public static class MaildirProgram
{
    /// <summary>The name the tool is installed under and logs as.</summary>
    public const string ToolName = "mailseal-maildir";

    /// <summary>Runs the tool; never throws, returns the exit code.</summary>
    /// <param name="args">Command-line arguments, without the program name.</param>
    /// <param name="context">Streams; null = the console.</param>
    /// <param name="cancellationToken">Cancels the run (between messages; a commit in progress finishes).</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, ToolContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        context ??= ToolContext.FromConsole();
        var root = new MaildirCommand(context).Create();
        var host = new ToolHost(root, new ToolHostOptions
        {
            ToolName = ToolName,
            ConfigSection = "maildir",
            Kind = ToolKind.Interactive,
            ManPage = MaildirManPage.Info,
        }, context);
        return await host.InvokeAsync(args, cancellationToken).ConfigureAwait(false);
    }
}
