using System.Globalization;
using System.Net;

namespace Mailseal.Greyd;

/// <summary>
/// Accepts postgrey's command line as it is (Debian's <c>POSTGREY_OPTS</c>, an init script's
/// arguments) by turning postgrey-only spellings into mailseal-greyd flags before parsing:
/// <c>--inet=[HOST:]PORT</c> and <c>--unix=PATH</c> become <c>--listen</c> (a bare port binds
/// 127.0.0.1, as postgrey binds localhost); <c>--auto-whitelist-clients</c> without a number
/// means 5; <c>-v</c>/<c>-q</c> set the verbosity; <c>--lookup-by-subnet</c> is the default.
/// Options that only make sense for postgrey's own daemonising (<c>-d</c>, <c>--user</c>,
/// <c>--group</c>, <c>--pidfile</c>, <c>--syslogfacility</c>, <c>--socketmode</c>,
/// <c>--listen-queue-size</c>, <c>--exim</c>) are accepted and reported as ignored: systemd
/// starts the daemon as its user and the journal takes its log.
/// </summary>
internal static class GreydArguments
{
    private static readonly HashSet<string> IgnoredWithValue = new(StringComparer.Ordinal)
    {
        "--user", "--group", "--pidfile", "--syslogfacility", "--syslog-facility", "--facility", "--socketmode", "--listen-queue-size",
    };

    private static readonly HashSet<string> IgnoredSwitches = new(StringComparer.Ordinal) { "-d", "--daemonize", "--exim" };

    public static (IReadOnlyList<string> Args, IReadOnlyList<string> Ignored) Rewrite(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = new List<string>();
        var ignored = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            var (name, inline) = Split(a);
            string Value()
            {
                if (inline is not null)
                    return inline;
                if (i + 1 >= args.Count)
                    throw new FormatException($"{name} needs a value");
                return args[++i];
            }

            switch (name)
            {
                case "--inet" or "-i":
                    result.Add("--listen");
                    result.Add(Inet(Value()));
                    break;
                case "--unix" or "-u":
                    result.Add("--listen");
                    result.Add("unix:" + Value());
                    break;
                case "--auto-whitelist-clients":
                    if (inline is null)
                    {
                        // postgrey's optional value: a number right after it, or 5.
                        var next = i + 1 < args.Count ? args[i + 1] : null;
                        result.Add("--auto-whitelist-clients=" + (next is not null && next.Length > 0 && next.All(char.IsAsciiDigit) ? args[++i] : "5"));
                    }
                    else
                    {
                        result.Add("--auto-whitelist-clients=" + (inline.Length == 0 ? "5" : inline));
                    }

                    break;
                case "-v" or "--verbose":
                    result.Add("--verbosity=2");
                    break;
                case "-q" or "--quiet":
                    result.Add("--verbosity=0");
                    break;
                case "--lookup-by-subnet":
                    break;
                case "--greylist-text" or "--greylist-action" or "--x-greylist-header" when inline is not null:
                    // Keep a value that itself starts with '-' or holds '=' as one token.
                    result.Add(name);
                    result.Add(inline);
                    break;
                default:
                    if (IgnoredWithValue.Contains(name))
                    {
                        _ = Value();
                        ignored.Add(name);
                    }
                    else if (IgnoredSwitches.Contains(name))
                    {
                        ignored.Add(name);
                    }
                    else
                    {
                        result.Add(a);
                    }

                    break;
            }
        }

        return (result, ignored);
    }

    /// <summary>postgrey's <c>--inet</c> value as a policy endpoint: PORT, HOST:PORT, [V6]:PORT; <c>localhost</c> is 127.0.0.1.</summary>
    public static string Inet(string value)
    {
        if (value.Length > 0 && value.All(char.IsAsciiDigit))
            return "inet:127.0.0.1:" + value;
        var colon = value.LastIndexOf(':');
        if (colon <= 0)
            throw new FormatException($"--inet: '{value}' is not PORT or HOST:PORT");
        var host = value[..colon];
        var port = value[(colon + 1)..];
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw new FormatException($"--inet: '{value}' has no port number");
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            host = "127.0.0.1";
        else if (host == "*" || host.Length == 0)
            host = "0.0.0.0";
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (!IPAddress.TryParse(bare, out var ip))
            throw new FormatException($"--inet: host '{host}' must be an IP address or localhost");
        return "inet:" + (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + bare + "]" : bare) + ":" + port;
    }

    private static (string Name, string? Inline) Split(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal))
            return (arg, null);
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? (arg, null) : (arg[..eq], arg[(eq + 1)..]);
    }
}
