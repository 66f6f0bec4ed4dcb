using System.Reflection;

namespace Mailseal.Core.Cli;

/// <summary>
/// The dispatch of a multi-call binary (busybox's way): the name it was started under
/// (<c>argv[0]</c>, a link such as /usr/bin/mailseal-encrypt) picks the tool, whose own options,
/// <c>--help</c>, man page and exit codes then apply. Started under its own name it takes the
/// tool as first argument (<c>mailseal encrypt ...</c>), and answers <c>--list</c> (the link
/// names, one per line), <c>--version</c> and <c>--help</c>. An unknown tool is a wiring mistake:
/// one <c>4.3.5</c> line and exit 75, so a mistyped Postfix argv= defers instead of bouncing.
/// </summary>
public static class MulticallHost
{
    /// <summary>Runs the tool <paramref name="args"/> and the program name choose; returns the exit code.</summary>
    /// <param name="binary">This binary's own name, e.g. <c>mailseal</c>.</param>
    /// <param name="tools">The tools it holds, in the order <c>--list</c> prints them.</param>
    /// <param name="args">Command-line arguments, without the program name.</param>
    public static async Task<int> RunAsync(string binary, IReadOnlyList<MulticallTool> tools, string[] args)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(args);
        var invokedAs = Path.GetFileName(Environment.GetCommandLineArgs()[0]);
        if (Find(tools, invokedAs) is { } tool)
            return await tool.RunAsync(args).ConfigureAwait(false);

        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            await Console.Out.WriteAsync(Usage(binary, tools)).ConfigureAwait(false);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }

        switch (args[0])
        {
            case "--list":
                foreach (var entry in tools)
                    await Console.Out.WriteLineAsync(entry.Name).ConfigureAwait(false);
                return ExitCodes.Ok;
            case "--version":
                await Console.Out.WriteLineAsync(binary + " " + Version()).ConfigureAwait(false);
                return ExitCodes.Ok;
        }

        if (Find(tools, args[0]) is { } named)
            return await named.RunAsync(args[1..]).ConfigureAwait(false);

        await Console.Error.WriteLineAsync($"4.3.5 {binary}: unknown tool '{args[0]}' (tools: {string.Join(", ", tools.Select(t => t.Name))})").ConfigureAwait(false);
        return ExitCodes.TempFail;
    }

    /// <summary>The tool called <paramref name="name"/> (<c>mailseal-encrypt</c>, or <c>encrypt</c> for short), or null.</summary>
    public static MulticallTool? Find(IReadOnlyList<MulticallTool> tools, string name)
    {
        ArgumentNullException.ThrowIfNull(tools);
        foreach (var tool in tools)
        {
            if (string.Equals(tool.Name, name, StringComparison.Ordinal) ||
                string.Equals(tool.Name, "mailseal-" + name, StringComparison.Ordinal))
            {
                return tool;
            }
        }

        return null;
    }

    private static string Usage(string binary, IReadOnlyList<MulticallTool> tools)
    {
        var width = tools.Max(t => t.Name.Length);
        var lines = tools.Select(t => "  " + t.Name.PadRight(width) + "  " + t.Summary);
        return $"Usage: {binary} TOOL [ARGS...]   (or run a tool through its link, e.g. {tools[0].Name})\n\nTools:\n" +
               string.Join('\n', lines) + "\n\nEach tool has its own --help and man page.\n";
    }

    // The product version, without build metadata; read only for --version (reflection costs start-up).
    internal static string Version() =>
        (typeof(MulticallHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0").Split('+')[0];
}
