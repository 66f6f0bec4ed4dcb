// NAME
//     mailseal-encrypt - the native binary of mailseal-encrypt alone
// SYNOPSIS
//     mailseal-encrypt [OPTIONS] RECIPIENT...     (see mailseal-encrypt --help)
// DESCRIPTION
//     mailseal-encrypt is started once per message (by scripts, as gpgit was), and every start
//     of a NativeAOT binary expands the runtime data of every type compiled into it. Without
//     mailseal-pipe's and mailseal-scrub's code beside it (the SMTP and spamd clients, the
//     re-injection) that data is 12 % smaller and a 10 KB message 5 % cheaper; the measurements
//     are in docs/native-binaries.md. It is still a multi-call host of one tool, so
//     "mailseal-encrypt encrypt ..." and a link under another name behave as elsewhere.
// DIAGNOSTICS
//     As mailseal-encrypt: one "4.x.x mailseal-encrypt: reason" line and exit 75.
// SECURITY
//     Runs nothing but mailseal-encrypt's entry point; reads no configuration itself.
using Mailseal.Core.Cli;
using Mailseal.Encrypt;

return await MulticallHost.RunAsync(EncryptProgram.ToolName,
[
    new(EncryptProgram.ToolName, "encrypt one message to its recipients' OpenPGP keys (stdin to stdout)", EncryptProgram.RunAsync),
], args).ConfigureAwait(false);
