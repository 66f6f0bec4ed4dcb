namespace Mailseal.Benchmarks;

/// <summary>
/// One benchmark (or helper) the dispatcher can run as <c>Mailseal.Benchmarks NAME [options]</c>.
/// A benchmark prints plain aligned text to the writer <see cref="RunAsync"/> is given
/// and returns a sysexits code.
/// </summary>
public interface IBenchmarkCommand
{
    /// <summary>The command name (lower-case, dash-separated).</summary>
    string Name { get; }

    /// <summary>One line for <c>list</c> and <c>--help</c>.</summary>
    string Description { get; }

    /// <summary>Its options, one per line, for <c>NAME --help</c>.</summary>
    string Usage { get; }

    /// <summary>False for helpers the benchmarks start as child processes (not run by tools/bench.sh).</summary>
    bool IsBenchmark { get; }

    /// <summary>Runs with the arguments after the name.</summary>
    Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken);
}
