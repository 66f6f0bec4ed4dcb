// NAME
//     mailseal-spfd - the native binary of mailseal-spfd alone
// SYNOPSIS
//     mailseal-spfd [OPTIONS]     (see mailseal-spfd --help)
// DESCRIPTION
//     Postfix's spawn(8) starts mailseal-spfd once per SMTP connection (Debian's way of running
//     policyd-spf), and every start of a NativeAOT binary expands the runtime data of every type
//     compiled into it. In the daemons' binary beside mailseal-greyd and mailseal-filterd (SQLite,
//     the regex engine, the filter's MIME and OpenPGP code) a spawned connection cost 29-37 ms
//     of CPU; alone 20-22 ms (docs/native-binaries.md). It is still a multi-call host
//     of one tool, so "mailseal-spfd spfd ..." and a link under another name behave as elsewhere.
// DIAGNOSTICS
//     As mailseal-spfd: one "4.x.x mailseal-spfd: reason" line and exit 75 on a start-up failure.
// SECURITY
//     Runs nothing but mailseal-spfd's entry point; reads no configuration itself.
using Mailseal.Core.Cli;
using Mailseal.Spfd;

return await MulticallHost.RunAsync(SpfdProgram.ToolName,
[
    new(SpfdProgram.ToolName, "SPF policy server for Postfix (replaces postfix-policyd-spf-python)", args => SpfdProgram.RunAsync(args, null, CancellationToken.None)),
], args).ConfigureAwait(false);
