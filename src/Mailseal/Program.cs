// NAME
//     mailseal - the multi-call binary behind every Mailseal tool
// SYNOPSIS
//     mailseal-encrypt ... | mailseal-pipe ... | mailseal-scrub ... | mailseal-spfd ... | mailseal-greyd ...
//         (links to this binary: the name it was started under picks the tool)
//     mailseal TOOL [ARGS...]      run TOOL (mailseal-encrypt or encrypt) without a link
//     mailseal --list              the tool names, one per line (tools/publish.sh makes the links)
//     mailseal --version
// DESCRIPTION
//     Each tool keeps its own options, --help, man page, exit codes and log name: the binary only
//     chooses which entry point runs. One NativeAOT compilation serves every tool, which keeps
//     the build and the package small (docs/native-binaries.md has the measurements).
// DIAGNOSTICS
//     An unknown tool name: one line on stderr, "4.3.5 mailseal: ...", and exit 75, as every
//     tool reports a wiring mistake, so a mistyped Postfix argv= defers instead of bouncing.
// SECURITY
//     Runs nothing but the chosen tool's entry point; reads no configuration itself.
using Mailseal;
using Mailseal.Core;

string invokedAs = Path.GetFileName(Environment.GetCommandLineArgs()[0]);
if (MulticallTools.Find(invokedAs) is { } tool)
    return await tool.RunAsync(args).ConfigureAwait(false);

if (args.Length == 0 || args[0] is "--help" or "-h")
{
    await Console.Out.WriteAsync(MulticallTools.Usage()).ConfigureAwait(false);
    return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
}

switch (args[0])
{
    case "--list":
        foreach (var entry in MulticallTools.All)
            await Console.Out.WriteLineAsync(entry.Name).ConfigureAwait(false);
        return ExitCodes.Ok;
    case "--version":
        await Console.Out.WriteLineAsync("mailseal " + MulticallTools.Version).ConfigureAwait(false);
        return ExitCodes.Ok;
}

if (MulticallTools.Find(args[0]) is { } named)
    return await named.RunAsync(args[1..]).ConfigureAwait(false);

await Console.Error.WriteLineAsync($"4.3.5 mailseal: unknown tool '{args[0]}' (tools: {string.Join(", ", MulticallTools.All.Select(t => t.Name))})").ConfigureAwait(false);
return ExitCodes.TempFail;
