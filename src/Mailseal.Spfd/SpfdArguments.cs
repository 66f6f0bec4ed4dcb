using Mailseal.Core.Configuration;

namespace Mailseal.Spfd;

/// <summary>
/// Turns a policyd-spf.conf given on the command line (as policyd-spf's only argument, or
/// behind <c>--config</c>) into flags. A mailseal.conf behind <c>--config</c> is left to the
/// common configuration reader.
/// </summary>
internal static class SpfdArguments
{
    public static (IReadOnlyList<string> Args, IReadOnlyList<string> Ignored) Rewrite(IReadOnlyList<string> args)
    {
        var result = new List<string>();
        string? file = null;
        var fileIndex = -1;
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--config" && i + 1 < args.Count)
            {
                file = args[i + 1];
                fileIndex = result.Count;
                result.Add(a);
                result.Add(args[++i]);
            }
            else if (a.StartsWith("--config=", StringComparison.Ordinal))
            {
                file = a["--config=".Length..];
                fileIndex = result.Count;
                result.Add("--config");
                result.Add(file);
            }
            else if (!a.StartsWith('-') && (i == 0 || !TakesNextValue(args[i - 1])))
            {
                // policyd-spf's own usage: the configuration file as the only positional argument.
                file = a;
                fileIndex = result.Count;
                result.Add("--config");
                result.Add(a);
            }
            else
            {
                result.Add(a);
            }
        }

        if (file is null)
            return (result, []);

        var text = PolicydSpfConfig.ReadFile(file);
        if (!PolicydSpfConfig.IsPolicydSpfConfig(text))
            return (result, []);

        var (values, ignored) = PolicydSpfConfig.Translate(file, text);
        result.RemoveRange(fileIndex, 2);
        // A loop, not Where(...).Select(...): chained LINQ iterators dispatch through a generic
        // virtual method, which a NativeAOT binary resolves with its type loader at each start
        // (about 2 % of a spawned mailseal-spfd's run).
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var x in result)
        {
            if (x.StartsWith("--", StringComparison.Ordinal))
                given.Add(x.Split('=')[0]);
        }

        var injected = new List<string>();
        foreach (var (name, value) in values)
        {
            var flag = ConfigurationNames.ToFlag(name);
            if (!given.Contains(flag))
                injected.Add(flag + "=" + value);
        }

        return ([.. injected, .. result], ignored);
    }

    // Every mailseal-spfd option takes a value: "--name VALUE" consumes the next argument,
    // "--name=VALUE" does not.
    private static bool TakesNextValue(string previous) =>
        previous.StartsWith("--", StringComparison.Ordinal) && !previous.Contains('=', StringComparison.Ordinal);
}
