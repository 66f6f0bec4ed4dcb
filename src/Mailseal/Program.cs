// NAME
//     mailseal - the multi-call binary of Mailseal's per-message filters
// SYNOPSIS
//     mailseal-pipe ... | mailseal-scrub ...
//         (links to this binary: the name it was started under picks the tool)
//     mailseal TOOL [ARGS...] | mailseal --list | mailseal --version
// DESCRIPTION
//     The tools Postfix or a script starts once per message. They live apart from the daemons
//     (mailseald): every start of a NativeAOT binary expands the runtime data of every type
//     compiled into it, so the daemons' SQLite, regex and SQL code would cost each message
//     start-up time (docs/native-binaries.md has the measurements). mailseal-encrypt, measured
//     per message against gpg, is a binary of its own (src/Mailseal.EncryptTool).
// DIAGNOSTICS
//     An unknown tool name: "4.3.5 mailseal: unknown tool ..." and exit 75.
// SECURITY
//     Runs nothing but the chosen tool's entry point; reads no configuration itself.
using Mailseal.Core.Cli;
using Mailseal.Pipe;
using Mailseal.Scrub;

return await MulticallHost.RunAsync("mailseal",
[
    new(PipeProgram.ToolName, "Postfix pipe(8) content filter: spam check, scrub, encrypt, re-inject", PipeProgram.RunAsync),
    new(ScrubProgram.ToolName, "anonymise a message's header, or print the header_checks equivalent", ScrubProgram.RunAsync),
], args).ConfigureAwait(false);
