namespace Mailseal.Benchmarks;

/// <summary>
/// One program in a paired run (<see cref="PairedRounds"/>): its name and one measurement of it,
/// which returns a number (milliseconds, or whatever the benchmark counts; smaller is better).
/// </summary>
/// <param name="Name">The name printed in the table.</param>
/// <param name="MeasureAsync">Runs the program once and returns what was measured.</param>
public sealed record Contender(string Name, Func<CancellationToken, Task<double>> MeasureAsync);
