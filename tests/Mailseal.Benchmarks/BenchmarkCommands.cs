namespace Mailseal.Benchmarks;

/// <summary>
/// Every command of Mailseal.Benchmarks. To add a benchmark: write a class implementing
/// <see cref="IBenchmarkCommand"/> in its own file and add one line here; tools/bench.sh then
/// runs it with the others.
/// </summary>
public static class BenchmarkCommands
{
    /// <summary>The commands, benchmarks first, in the order tools/bench.sh runs them.</summary>
    public static IReadOnlyList<IBenchmarkCommand> All { get; } =
    [
        new EncryptBenchmark(),
        new EncryptToolBenchmark(),
        new SpfdBenchmark(),
        new SpfdSpawnBenchmark(),
        new GreydBenchmark(),
        new PipeBenchmark(),
        new FilterdBenchmark(),
        new FilterdPostfixBenchmark(),
        new MaildirBenchmark(),
        new EncryptChildCommand(),
    ];

    /// <summary>The command called <paramref name="name"/>, or null.</summary>
    public static IBenchmarkCommand? Find(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));
}
