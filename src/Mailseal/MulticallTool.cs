namespace Mailseal;

/// <summary>One tool of the multi-call binary.</summary>
/// <param name="Name">The name it is installed under, e.g. <c>mailseal-encrypt</c>.</param>
/// <param name="Summary">One line for <c>mailseal --help</c>.</param>
/// <param name="RunAsync">Its entry point: arguments without the program name, returns the exit code.</param>
internal sealed record MulticallTool(string Name, string Summary, Func<string[], Task<int>> RunAsync);
