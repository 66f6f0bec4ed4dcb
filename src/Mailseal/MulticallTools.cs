using System.Reflection;
using Mailseal.Encrypt;
using Mailseal.Greyd;
using Mailseal.Pipe;
using Mailseal.Scrub;
using Mailseal.Spfd;

namespace Mailseal;

/// <summary>The tools this binary holds: the name each is installed under and its entry point.</summary>
internal static class MulticallTools
{
    /// <summary>Every tool, in the order <c>--list</c> prints them.</summary>
    public static IReadOnlyList<MulticallTool> All { get; } =
    [
        new(EncryptProgram.ToolName, "encrypt one message to its recipients' OpenPGP keys (stdin to stdout)", EncryptProgram.RunAsync),
        new(PipeProgram.ToolName, "Postfix pipe(8) content filter: spam check, scrub, encrypt, re-inject", PipeProgram.RunAsync),
        new(ScrubProgram.ToolName, "anonymise a message's header, or print the header_checks equivalent", ScrubProgram.RunAsync),
        new(SpfdProgram.ToolName, "SPF policy server for Postfix (replaces postfix-policyd-spf-python)", args => SpfdProgram.RunAsync(args, null, CancellationToken.None)),
        new(GreydProgram.ToolName, "greylisting policy server for Postfix (replaces postgrey and sqlgrey)", args => GreydProgram.RunAsync(args, null, CancellationToken.None)),
    ];

    /// <summary>The product version (the assembly's informational version, without build metadata).</summary>
    public static string Version =>
        (typeof(MulticallTools).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0").Split('+')[0];

    /// <summary>The tool called <paramref name="name"/> (<c>mailseal-encrypt</c>, or <c>encrypt</c> for short), or null.</summary>
    public static MulticallTool? Find(string name)
    {
        foreach (var tool in All)
        {
            if (string.Equals(tool.Name, name, StringComparison.Ordinal) ||
                string.Equals(tool.Name, "mailseal-" + name, StringComparison.Ordinal))
            {
                return tool;
            }
        }

        return null;
    }

    /// <summary>The text <c>mailseal --help</c> prints.</summary>
    public static string Usage()
    {
        var width = All.Max(t => t.Name.Length);
        var lines = All.Select(t => "  " + t.Name.PadRight(width) + "  " + t.Summary);
        return "Usage: mailseal TOOL [ARGS...]   (or run a tool through its link, e.g. mailseal-encrypt)\n\nTools:\n" +
               string.Join('\n', lines) + "\n\nEach tool has its own --help and man page.\n";
    }
}
