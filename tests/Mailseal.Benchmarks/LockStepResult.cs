namespace Mailseal.Benchmarks;

/// <summary>
/// What one <see cref="LockStepLoad"/> run measured: sorted latencies (ms), wall time, the
/// server's CPU time, the answers' first words with counts, the reply to request 0, and the CPU
/// time the load generator itself (this process, all threads) spent meanwhile: on a shared
/// machine the client competes with the server for the same cores.
/// </summary>
public sealed record LockStepResult(double[] Latencies, TimeSpan Elapsed, TimeSpan Cpu, string Answers, string Sample, TimeSpan ClientCpu)
{
    /// <summary>Requests answered.</summary>
    public int Count => Latencies.Length;

    /// <summary>Requests per second of wall time.</summary>
    public double PerSecond => Count / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>The latency below which the fraction <paramref name="p"/> of requests fell (ms).</summary>
    public double Percentile(double p) => Latencies.Length == 0 ? double.NaN : Latencies[Math.Min(Latencies.Length - 1, (int)Math.Ceiling(p * Latencies.Length) - 1)];
}
