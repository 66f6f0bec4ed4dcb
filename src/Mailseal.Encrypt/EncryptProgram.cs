// NAME
//     mailseal-encrypt - encrypt one message to its recipients' OpenPGP keys (replaces gpgit.pl)
// SYNOPSIS
//     mailseal-encrypt [--key-dir DIR] [--config FILE] [--missing-key tempfail|pass|bounce]
//         [--protect-headers] [--hide-subject] [--dkim-signature rename|drop|keep]
//         [--queue-id ID] RECIPIENT...
// DESCRIPTION
//     Reads a message on stdin and writes it on stdout: PGP/MIME (RFC 3156) encrypted to the
//     keys of the local recipients, unchanged when it is already encrypted or no recipient is
//     local. Nothing reaches stdout until the whole result is ready.
// DIAGNOSTICS
//     One line on stderr, "4.x.x mailseal-encrypt: reason", and exit 75 (Postfix defers); exit 67
//     only under --missing-key bounce. One syslog line (facility mail) per message.
// SECURITY
//     Plaintext is never written to disk; ciphertext beyond --spool-memory goes to an unlinked
//     0600 temp file. A local recipient gets ciphertext or a tempfail, never plaintext.
using Mailseal.Core.Cli;

namespace Mailseal.Encrypt;

/// <summary>
/// Entry point of mailseal-encrypt. The native multi-call binary (src/Mailseal) runs it when started
/// under that name; it never throws and returns the exit code.
/// </summary>
public static class EncryptProgram
{
    /// <summary>The name the tool is installed under and logs as.</summary>
    public const string ToolName = EncryptCommand.ToolName;

    /// <summary>Runs the tool on the process's standard streams.</summary>
    /// <param name="args">Command-line arguments, without the program name.</param>
    /// <returns>The exit code (sysexits).</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var context = ToolContext.ForFilter();
        var command = new EncryptCommand(context);
        var host = new ToolHost(command.Root, new ToolHostOptions
        {
            ToolName = EncryptCommand.ToolName,
            ConfigSection = "encrypt",
            Kind = ToolKind.Filter,
            ManPage = ManPage.Info,
        }, context);
        return await host.InvokeAsync(args).ConfigureAwait(false);
    }
}
