using System.Diagnostics;

namespace Mailseal.Benchmarks;

/// <summary>
/// Measures several programs in alternating rounds: each round runs every contender once, and
/// the order turns by one each round, so each takes every position equally often. On a shared
/// machine whose load changes from second to second, a burst of load then falls on all of them
/// alike, where measuring one program's runs and then the other's would blame one of them for it.
/// One round first warms the page cache and is not counted. Bounded by a round count and a time
/// limit (at least <c>minRounds</c> rounds are always run).
/// </summary>
public static class PairedRounds
{
    /// <summary>Runs up to <paramref name="rounds"/> rounds, stopping after <paramref name="timeLimit"/> once <paramref name="minRounds"/> are done.</summary>
    public static async Task<PairedResult> RunAsync(IReadOnlyList<Contender> contenders, int rounds, int minRounds, TimeSpan timeLimit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contenders);
        foreach (var contender in contenders)
            await contender.MeasureAsync(cancellationToken).ConfigureAwait(false);

        var values = contenders.Select(_ => new List<double>()).ToArray();
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < rounds; round++)
        {
            if (round >= minRounds && clock.Elapsed > timeLimit)
                break;
            for (int k = 0; k < contenders.Count; k++)
            {
                int which = (round + k) % contenders.Count;
                values[which].Add(await contenders[which].MeasureAsync(cancellationToken).ConfigureAwait(false));
            }
        }

        return new PairedResult(contenders.Select(c => c.Name).ToArray(), values.Select(v => v.ToArray()).ToArray(), clock.Elapsed);
    }
}
