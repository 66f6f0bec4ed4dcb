using System.CommandLine;
using System.Globalization;

namespace Mailseal.Policy;

/// <summary>
/// The policy server's limits as options (<c>--max-line-length</c>, <c>--max-attributes</c>,
/// <c>--read-timeout</c>, <c>--idle-timeout</c>, <c>--max-connections</c>), with the same names,
/// defaults and ranges in every policy daemon, and their reading into
/// <see cref="PolicyServerOptions"/>.
/// </summary>
public sealed class PolicyServerLimits
{
    /// <summary>Creates the options; only the description of <c>--max-connections</c> differs between daemons.</summary>
    public PolicyServerLimits(string maxConnectionsDescription)
    {
        MaxConnections = PolicyCommandOptions.Text("--max-connections", "N", "1024", maxConnectionsDescription);
        All = [MaxLineLength, MaxAttributes, ReadTimeout, IdleTimeout, MaxConnections];
    }

    /// <summary><c>--max-line-length</c>.</summary>
    public Option<string> MaxLineLength { get; } = PolicyCommandOptions.Text("--max-line-length", "BYTES", "4096", "Longest request line; a longer one drops the connection without reply.");

    /// <summary><c>--max-attributes</c>.</summary>
    public Option<string> MaxAttributes { get; } = PolicyCommandOptions.Text("--max-attributes", "N", "100", "Most attributes in one request.");

    /// <summary><c>--read-timeout</c>.</summary>
    public Option<string> ReadTimeout { get; } = PolicyCommandOptions.Text("--read-timeout", "SECONDS", "100", "Most time from the first byte of a request to its blank line.");

    /// <summary><c>--idle-timeout</c>.</summary>
    public Option<string> IdleTimeout { get; } = PolicyCommandOptions.Text("--idle-timeout", "SECONDS", "300", "Most time a connection may wait between requests.");

    /// <summary><c>--max-connections</c>.</summary>
    public Option<string> MaxConnections { get; }

    /// <summary>The five options, in the order <c>--help</c> lists them.</summary>
    public IReadOnlyList<Option> All { get; }

    /// <summary>Reads the limits; throws <see cref="FormatException"/> naming the setting for a bad value.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="handlerTimeout">The server's backstop on one decision (the daemon knows how long its own waits are).</param>
    public PolicyServerOptions Read(ParseResult parse, TimeSpan handlerTimeout)
    {
        var options = new PolicyServerOptions
        {
            MaxLineLength = Number(parse, MaxLineLength, "max_line_length", 64, 1 << 20),
            MaxAttributes = Number(parse, MaxAttributes, "max_attributes", 1, 10000),
            ReadTimeout = TimeSpan.FromSeconds(Number(parse, ReadTimeout, "read_timeout", 1, 3600)),
            IdleTimeout = TimeSpan.FromSeconds(Number(parse, IdleTimeout, "idle_timeout", 1, 86400)),
            MaxConnections = Number(parse, MaxConnections, "max_connections", 1, 100000),
            HandlerTimeout = handlerTimeout,
        };
        return options with { MaxRequestBytes = Math.Max(options.MaxRequestBytes, options.MaxLineLength) };
    }

    private static int Number(ParseResult parse, Option<string> option, string name, int min, int max)
    {
        var value = PolicyCommandOptions.Get(parse, option);
        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new FormatException($"{name}: '{value}' is not a whole number from {min} to {max}");
        return n;
    }
}
