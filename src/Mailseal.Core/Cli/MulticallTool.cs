namespace Mailseal.Core.Cli;

/// <summary>One tool of a multi-call binary (see <see cref="MulticallHost"/>).</summary>
/// <param name="Name">The name it is installed under, e.g. <c>mailseal-encrypt</c>.</param>
/// <param name="Summary">One line for the binary's <c>--help</c>.</param>
/// <param name="RunAsync">Its entry point: arguments without the program name, returns the exit code.</param>
public sealed record MulticallTool(string Name, string Summary, Func<string[], Task<int>> RunAsync);
