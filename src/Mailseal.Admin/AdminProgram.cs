// NAME
//      mailseal-admin - accounts, aliases and keys of a Mailseal server
// SYNOPSIS
//      mailseal-admin [--database CONNSTRING] [--key-dir DIR] db init|migrate|status
//      mailseal-admin user add ADDRESS --key FILE [--password-scheme S] | list | show A | remove A | passwd A
//      mailseal-admin alias add ALIAS ACCOUNT | list [ACCOUNT] | remove ALIAS
//      mailseal-admin key import|rotate ADDRESS FILE | import DIR [--progress] | show ADDRESS | expiring [--days N]
//      mailseal-admin wkd export DIR
//      mailseal-admin dns records --domain D --ip A [--ipv6 B] [--dkim-selector S --dkim-key FILE]
//      mailseal-admin dns check --domain D [--dns-server IP[:PORT]]
//      mailseal-admin doctor [--postfix-config DIR] [--dovecot-config FILE]
// DESCRIPTION
//      Replaces psql by hand and doveadm pw: creates and upgrades the schema Dovecot and
//      mailseal-encrypt share, hashes passwords in schemes Dovecot verifies, and stores keys
//      only after the checks delivery applies.
// DIAGNOSTICS
//      One line "mailseal-admin: text" on stderr. Exit 0 done, 64 usage, 65 refused input
//      (nothing changed), 75 database or I/O failure, 78 configuration; 1 from "key expiring"
//      and "db status" when there is something to act on, from "dns check" when a record is
//      missing or wrong (75 when only lookups failed), from "doctor" when a check failed.
// SECURITY
//      Passwords come from the terminal or stdin, never argv; SQL is parameterised; input that
//      cannot be stored literally and safely is refused with the reason.
using Mailseal.Core.Cli;

namespace Mailseal.Admin;

/// <summary>Entry point of mailseal-admin, callable from tests with their own streams.</summary>
public static class AdminProgram
{
    /// <summary>The name the tool is installed under.</summary>
    public const string ToolName = "mailseal-admin";

    /// <summary>Runs the tool; never throws, returns the exit code.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="context">Streams; null = the console (then a password is prompted for on the terminal when stdin is one).</param>
    /// <param name="cancellationToken">Cancels a running command.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, ToolContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool terminal = context is null && !Console.IsInputRedirected;
        bool errorTerminal = context is null && !Console.IsErrorRedirected;
        context ??= ToolContext.FromConsole();
        var root = new AdminCommand(context, terminal, errorTerminal: errorTerminal).Create();
        var host = new ToolHost(root, new ToolHostOptions
        {
            ToolName = ToolName,
            ConfigSection = "admin",
            Kind = ToolKind.Interactive,
            ManPage = AdminManPage.Info,
        }, context);
        return await host.InvokeAsync(args, cancellationToken).ConfigureAwait(false);
    }
}
