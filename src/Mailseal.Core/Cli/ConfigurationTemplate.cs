using System.CommandLine;
using System.CommandLine.Help;
using System.Text;
using Mailseal.Core.Configuration;

namespace Mailseal.Core.Cli;

/// <summary>
/// Renders a tool's settings as a commented mailseal.conf excerpt, from the same option
/// definitions <c>--help</c> and the man page use, so the packaged /etc/mailseal/mailseal.conf
/// names every setting and cannot drift from the tools (the hidden <c>--generate-config</c>
/// option prints it; packaging/generate.sh joins the tools' excerpts). The shared names
/// (<see cref="ConfigurationNames.Shared"/>) come first, then the line <c>[SECTION]</c> and the
/// tool's own names. Each entry is its description and default as <c>#</c> comments, then
/// <c>#name = default</c> (or <c>#name =</c> without a default), then a blank line, so an admin
/// uncomments one line to set one name.
/// </summary>
public static class ConfigurationTemplate
{
    private const int Width = 92;

    /// <summary>Renders the excerpt.</summary>
    /// <param name="command">The root command; subcommands' options are included (first definition of a name wins).</param>
    /// <param name="section">The tool's section (<c>encrypt</c>), or null for a tool without one.</param>
    /// <param name="isHostOption">True for options that are not settings (<c>--config</c>, <c>--help</c>, ...).</param>
    public static string Render(Command command, string? section, Func<Option, bool> isHostOption)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(isHostOption);
        var shared = new StringBuilder();
        var own = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<Command>();
        stack.Push(command);
        var order = new List<Command>();
        while (stack.Count > 0)
        {
            Command c = stack.Pop();
            order.Add(c);
            foreach (Command sub in c.Subcommands.Reverse())
                stack.Push(sub);
        }

        foreach (Option option in order.SelectMany(c => c.Options))
        {
            if (option.Hidden || option is HelpOption or VersionOption || isHostOption(option)
                || ConfigurationNames.FromFlag(option.Name) is not { } name || !seen.Add(name))
            {
                continue;
            }

            AppendEntry(ConfigurationNames.IsShared(name) ? shared : own, name, option);
        }

        var page = new StringBuilder();
        page.Append(shared);
        if (section is not null)
            page.Append('[').Append(section).Append("]\n\n").Append(own);
        return page.ToString();
    }

    private static void AppendEntry(StringBuilder into, string name, Option option)
    {
        string text = (option.Description ?? string.Empty).ReplaceLineEndings(" ").Trim();
        string? defaultText = ManPageGenerator.DefaultText(option);
        // Enums parse case-insensitively; the file and --help spell them in lower case.
        if (defaultText is not null && Nullable.GetUnderlyingType(option.ValueType) is { IsEnum: true } || option.ValueType.IsEnum)
            defaultText = defaultText?.ToLowerInvariant();
        if (defaultText is not null)
            text = text + (text.Length > 0 ? " " : string.Empty) + "Default: " + defaultText + ".";
        if (option.Arity.MaximumNumberOfValues > 1)
            text += " A list: values separated by commas or blanks.";
        text += " Flag: " + option.Name + (ManPageGenerator.ValueName(option) is { } value ? " " + value : string.Empty) + ".";
        foreach (string line in Wrap(text, Width - 2))
            into.Append("# ").Append(line).Append('\n');

        into.Append('#').Append(name).Append(" =");
        string? sample = Sample(option, defaultText);
        if (sample is not null)
            into.Append(' ').Append(sample);
        into.Append("\n\n");
    }

    // What follows "name =" on the commented line: the default, in the file's own syntax.
    private static string? Sample(Option option, string? defaultText)
    {
        if (option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool))
        {
            object? value = option.HasDefaultValue ? SafeDefault(option) : null;
            return value is true ? "yes" : "no";
        }

        return defaultText is null or "empty" ? null : defaultText;
    }

    private static object? SafeDefault(Option option)
    {
        try
        {
            return option.GetDefaultValue();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = new StringBuilder();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line.ToString();
                line.Clear();
            }

            if (line.Length > 0)
                line.Append(' ');
            line.Append(word);
        }

        if (line.Length > 0)
            yield return line.ToString();
    }
}
