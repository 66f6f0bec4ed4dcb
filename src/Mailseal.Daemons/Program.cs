// NAME
//     mailseald - the multi-call binary of Mailseal's daemons
// SYNOPSIS
//     mailseal-spfd ... | mailseal-greyd ... | mailseal-filterd ...
//         (links to this binary: the name it was started under picks the tool)
//     mailseald TOOL [ARGS...] | mailseald --list | mailseald --version
// DESCRIPTION
//     The long-running policy servers (and spfd's spawn(8) mode) and the after-queue filter. Apart from the per-message
//     tools (mailseal), so their SQLite, regex and SQL code is not rehydrated at every message.
// DIAGNOSTICS
//     An unknown tool name: "4.3.5 mailseald: unknown tool ..." and exit 75.
// SECURITY
//     Runs nothing but the chosen tool's entry point; reads no configuration itself.
using Mailseal.Core.Cli;
using Mailseal.Filterd;
using Mailseal.Greyd;
using Mailseal.Spfd;

return await MulticallHost.RunAsync("mailseald",
[
    new(SpfdProgram.ToolName, "SPF policy server for Postfix (replaces postfix-policyd-spf-python)", args => SpfdProgram.RunAsync(args, null, CancellationToken.None)),
    new(GreydProgram.ToolName, "greylisting policy server for Postfix (replaces postgrey and sqlgrey)", args => GreydProgram.RunAsync(args, null, CancellationToken.None)),
    new(FilterdProgram.ToolName, "after-queue SMTP content filter: spam check and per-recipient encryption (amavis-style)", args => FilterdProgram.RunAsync(args, null, CancellationToken.None)),
], args).ConfigureAwait(false);
