using System.CommandLine;

namespace Mailseal.Core.Cli;

/// <summary>
/// The root of a tool's command tree, named after the tool. Unlike System.CommandLine's
/// <see cref="RootCommand"/> it costs nothing at construction: <see cref="RootCommand"/> asks the
/// reflection layer for the entry assembly's name and loads the library's resource strings for
/// its help option, about 0.8 ms of a 12 ms per-message run of mailseal-encrypt (perf, native
/// binary). <see cref="ToolHost"/> adds <c>--help</c> and <c>--version</c> to it only when the
/// command line can ask for them, so --help, --version and the man page look exactly as they do
/// with a <see cref="RootCommand"/>.
/// </summary>
/// <example>
/// <code>
/// var root = new ToolRootCommand("mailseal-encrypt", "Encrypt one message to its recipients' keys.") { keyDir, recipients };
/// var host = new ToolHost(root, new ToolHostOptions { ToolName = "mailseal-encrypt", ConfigSection = "encrypt" });
/// </code>
/// </example>
public class ToolRootCommand : Command
{
    /// <summary>Creates the root command of the tool <paramref name="toolName"/>.</summary>
    /// <param name="toolName">The name the tool is installed under (shown in usage and help).</param>
    /// <param name="description">What the tool does, for --help and the man page.</param>
    public ToolRootCommand(string toolName, string description)
        : base(toolName, description)
    {
    }
}
