// NAME
//     mailseald - the multi-call binary of Mailseal's daemons
// SYNOPSIS
//     mailseal-greyd ... | mailseal-filterd ...
//         (links to this binary: the name it was started under picks the tool)
//     mailseald TOOL [ARGS...] | mailseald --list | mailseald --version
// DESCRIPTION
//     The greylisting policy server and the after-queue filter, long-running daemons. Apart from the per-message
//     tools (mailseal), so their SQLite, regex and SQL code is not rehydrated at every message, and
//     from mailseal-spfd (src/Mailseal.SpfdTool), which spawn(8) starts once per connection.
// DIAGNOSTICS
//     An unknown tool name: "4.3.5 mailseald: unknown tool ..." and exit 75.
// SECURITY
//     Runs nothing but the chosen tool's entry point; reads no configuration itself.
using Mailseal.Core.Cli;
using Mailseal.Filterd;
using Mailseal.Greyd;

return await MulticallHost.RunAsync("mailseald",
[
    new(GreydProgram.ToolName, "greylisting policy server for Postfix (replaces postgrey and sqlgrey)", args => GreydProgram.RunAsync(args, null, CancellationToken.None)),
    new(FilterdProgram.ToolName, "after-queue SMTP content filter: spam check and per-recipient encryption (amavis-style)", args => FilterdProgram.RunAsync(args, null, CancellationToken.None)),
], args).ConfigureAwait(false);
