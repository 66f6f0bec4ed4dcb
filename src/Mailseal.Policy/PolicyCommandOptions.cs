using System.CommandLine;

namespace Mailseal.Policy;

/// <summary>
/// How the policy daemons (mailseal-spfd, mailseal-greyd) declare and read their options: every
/// value is text, so a setting from mailseal.conf or a foreign config file (policyd-spf.conf,
/// postgrey's command line) arrives the same way as a flag and is checked in one place, with
/// the setting's name in the message.
/// </summary>
public static class PolicyCommandOptions
{
    /// <summary>An option holding text, with a default that <c>--help</c> shows.</summary>
    public static Option<string> Text(string name, string helpName, string defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
    };

    /// <summary>An on/off flag (<c>--privacy</c>, or <c>--privacy true</c> from the configuration file).</summary>
    public static Option<bool> Switch(string name, string description) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>The option's text, empty when absent.</summary>
    public static string Get(ParseResult parse, Option<string> option)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetValue(option) ?? string.Empty;
    }
}
