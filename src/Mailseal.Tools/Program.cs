// NAME
//     mailseal-tools - the multi-call binary of Mailseal's admin tools
// SYNOPSIS
//     mailseal-admin ..., mailseal-maildir ...      (links to this binary: the name it was started under picks the tool)
//     mailseal-tools TOOL [ARGS...] | mailseal-tools --list | mailseal-tools --version
// DESCRIPTION
//     The tools an admin runs by hand (mailseal-admin, mailseal-maildir): kept apart from the
//     per-message tools (mailseal), so their SQL, password hashing and table code is not
//     rehydrated at every message, and from the daemons (mailseald).
// DIAGNOSTICS
//     An unknown tool name: "4.3.5 mailseal-tools: unknown tool ..." and exit 75.
// SECURITY
//     Runs nothing but the chosen tool's entry point; reads no configuration itself.
using Mailseal.Admin;
using Mailseal.Maildir;
using Mailseal.Core.Cli;

return await MulticallHost.RunAsync("mailseal-tools",
[
    new(AdminProgram.ToolName, "accounts, aliases and keys in PostgreSQL and the key folder (replaces psql by hand and doveadm pw)", args => AdminProgram.RunAsync(args, null, CancellationToken.None)),
    new(MaildirProgram.ToolName, "encrypt plaintext already stored in Maildir folders (Sent, old mail) in place", args => MaildirProgram.RunAsync(args, null, CancellationToken.None)),
], args).ConfigureAwait(false);
