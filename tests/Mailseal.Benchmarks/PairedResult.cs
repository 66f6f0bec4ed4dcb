namespace Mailseal.Benchmarks;

/// <summary>
/// What <see cref="PairedRounds"/> measured: per contender, one value per round (round r of every
/// contender ran within the same few moments), with the statistics a benchmark prints.
/// </summary>
public sealed class PairedResult
{
    private readonly string[] _names;
    private readonly double[][] _values;

    /// <summary>A result of <paramref name="values"/>[contender][round].</summary>
    public PairedResult(string[] names, double[][] values, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(values);
        if (names.Length != values.Length || values.Any(v => v.Length != values[0].Length))
            throw new ArgumentException("one row of values per name, all of one length", nameof(values));
        _names = names;
        _values = values;
        Elapsed = elapsed;
    }

    /// <summary>Rounds counted (the warm-up round is not).</summary>
    public int Rounds => _values.Length == 0 ? 0 : _values[0].Length;

    /// <summary>Time the counted rounds took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The median of contender <paramref name="name"/>'s values.</summary>
    public double Median(string name) => Percentile(name, 0.5);

    /// <summary>The smallest of its values.</summary>
    public double Min(string name) => Of(name).Min();

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0..1] of its values.</summary>
    public double Percentile(string name, double p)
    {
        var sorted = Of(name).Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// The median over rounds of <paramref name="name"/>'s value divided by <paramref name="other"/>'s
    /// in the same round: the ratio with the load of each moment cancelled out as far as it can be.
    /// </summary>
    public double PairedRatio(string name, string other)
    {
        var a = Of(name);
        var b = Of(other);
        var ratios = a.Zip(b, (x, y) => x / y).Order().ToArray();
        return ratios[ratios.Length / 2];
    }

    /// <summary>True when a contender of that name was measured.</summary>
    public bool Has(string name) => Array.IndexOf(_names, name) >= 0;

    private double[] Of(string name)
    {
        int i = Array.IndexOf(_names, name);
        return i >= 0 ? _values[i] : throw new ArgumentException($"no contender '{name}'", nameof(name));
    }
}
