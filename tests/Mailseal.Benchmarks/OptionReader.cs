using System.Globalization;

namespace Mailseal.Benchmarks;

/// <summary>
/// A benchmark's <c>--name value</c> options and <c>--switch</c> flags. Anything not declared is
/// a usage error; every number is range-checked, so a typo cannot start a run that never ends.
/// </summary>
public sealed class OptionReader
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _switches = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/> against the declared option names (with their leading dashes).</summary>
    /// <exception cref="UsageException">An unknown option, a missing value, or a stray argument.</exception>
    public OptionReader(IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> switches)
    {
        ArgumentNullException.ThrowIfNull(args);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (switches.Contains(arg))
            {
                _switches.Add(arg);
            }
            else if (valueOptions.Contains(arg))
            {
                if (i + 1 >= args.Count)
                    throw new UsageException($"{arg} needs a value");
                _values[arg] = args[++i];
            }
            else
            {
                throw new UsageException($"unknown argument '{arg}'");
            }
        }
    }

    /// <summary>The value given for <paramref name="name"/>, or null.</summary>
    public string? Text(string name) => _values.GetValueOrDefault(name);

    /// <summary>True when the switch was given.</summary>
    public bool Has(string name) => _switches.Contains(name);

    /// <summary>A number within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double Number(string name, double fallback, double min, double max)
    {
        if (!_values.TryGetValue(name, out string? text))
            return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < min || value > max)
            throw new UsageException($"{name} must be a number from {min} to {max}, not '{text}'");
        return value;
    }

    /// <summary>A comma-separated list of whole numbers, each within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public IReadOnlyList<int> Counts(string name, IReadOnlyList<int> fallback, int min, int max)
    {
        if (!_values.TryGetValue(name, out string? text))
            return fallback;
        var counts = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
                throw new UsageException($"{name}: '{part}' is not a whole number from {min} to {max}");
            counts.Add(n);
        }

        return counts.Count > 0 ? counts : throw new UsageException($"{name} lists no number");
    }

    /// <summary>A comma-separated list of byte sizes with K/M suffixes (1024-based), each within the limit.</summary>
    public IReadOnlyList<long> Sizes(string name, IReadOnlyList<long> fallback, long max)
    {
        if (!_values.TryGetValue(name, out string? text))
            return fallback;
        var sizes = new List<long>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            long unit = part[^1] switch { 'K' or 'k' => 1024, 'M' or 'm' => 1024 * 1024, _ => 1 };
            string digits = unit == 1 ? part : part[..^1];
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n * unit > max)
                throw new UsageException($"{name}: '{part}' is not a size up to {max / (1024 * 1024)}M (e.g. 10K,1M,25M)");
            sizes.Add(n * unit);
        }

        return sizes.Count > 0 ? sizes : throw new UsageException($"{name} lists no size");
    }

    /// <summary>A size as people say it: 10 KiB, 1 MiB, 25 MiB, 300 B.</summary>
    public static string FormatSize(long bytes) =>
        bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB"
        : bytes >= 1024 && bytes % 1024 == 0 ? $"{bytes / 1024} KiB"
        : $"{bytes} B";
}
