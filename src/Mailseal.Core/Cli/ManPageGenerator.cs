using System.Collections;
using System.CommandLine;
using System.Globalization;
using System.Text;

namespace Mailseal.Core.Cli;

/// <summary>
/// Renders a System.CommandLine definition as a man(7) page, so a tool's <c>--help</c> and
/// its man page come from one definition: NAME and DESCRIPTION from the command's
/// description, SYNOPSIS from its options and arguments, OPTIONS with every alias, value
/// name, default and configuration name, COMMANDS for subcommands, then the sections the tool
/// supplies. Hidden options and commands are left out.
/// </summary>
public static class ManPageGenerator
{
    /// <summary>Renders the page.</summary>
    /// <param name="command">The root command.</param>
    /// <param name="name">The program name (<c>mailseal-encrypt</c>).</param>
    /// <param name="info">Section number, footer and extra sections.</param>
    public static string Render(Command command, string name, ManPageInfo info)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(info);
        var page = new StringBuilder();
        string description = command.Description ?? string.Empty;
        string summary = FirstSentence(description);

        page.Append(".TH ").Append(Quote(name.ToUpperInvariant())).Append(' ').Append(Quote(info.Section)).Append(' ')
            .Append(Quote(info.Date)).Append(' ').Append(Quote(info.Source)).Append(' ').Append(Quote(info.Manual)).Append('\n');
        page.Append(".SH NAME\n").Append(Escape(name)).Append(" \\- ").Append(Escape(summary.Length == 0 ? name : summary)).Append('\n');

        page.Append(".SH SYNOPSIS\n");
        AppendSynopsis(page, name, command);

        ManPageSection? extraDescription = info.Sections.FirstOrDefault(s => IsTitle(s, "DESCRIPTION"));
        if (description.Length > 0 || extraDescription is not null)
        {
            page.Append(".SH DESCRIPTION\n");
            AppendText(page, description);
            if (extraDescription is not null)
            {
                AppendText(page, extraDescription.Text);
                AppendItems(page, extraDescription.Items);
            }
        }

        List<Option> options = VisibleOptions(command).ToList();
        if (options.Count > 0)
        {
            page.Append(".SH OPTIONS\n");
            foreach (Option option in options)
            {
                AppendOption(page, option);
            }
        }

        List<(string Path, Command Command)> commands = [];
        CollectCommands(command, string.Empty, commands);
        if (commands.Count > 0)
        {
            page.Append(".SH COMMANDS\n");
            foreach ((string path, Command sub) in commands)
            {
                page.Append(".TP\n").Append("\\fB").Append(Escape(path)).Append("\\fR");
                AppendUsage(page, sub);
                page.Append('\n');
                AppendText(page, sub.Description ?? string.Empty, paragraphMacro: false);
                List<Option> subOptions = VisibleOptions(sub).ToList();
                if (subOptions.Count > 0)
                {
                    page.Append(".RS\n");
                    foreach (Option option in subOptions)
                    {
                        AppendOption(page, option);
                    }

                    page.Append(".RE\n");
                }
            }
        }

        foreach (ManPageSection section in info.Sections)
        {
            if (IsTitle(section, "DESCRIPTION"))
            {
                continue;
            }

            page.Append(".SH ").Append(Quote(section.Title.ToUpperInvariant())).Append('\n');
            AppendText(page, section.Text);
            AppendItems(page, section.Items);
        }

        return page.ToString();
    }

    /// <summary>
    /// Escapes plain text for roff: backslashes, leading control characters (<c>.</c> and
    /// <c>'</c>), hyphens (as <c>\-</c> so options copy and paste), and non-ASCII characters
    /// (as <c>\[uXXXX]</c>, which groff reads whatever its input encoding).
    /// </summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (i == 0 && c is '.' or '\'')
            {
                sb.Append("\\&");
            }

            switch (c)
            {
                case '\\':
                    sb.Append("\\e");
                    break;
                case '-':
                    sb.Append("\\-");
                    break;
                case '\t':
                    sb.Append(' ');
                    break;
                case < ' ' or '\u007f':
                    break;
                case > '\u007f' when char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]):
                    sb.Append("\\[u").Append(char.ConvertToUtf32(c, text[i + 1]).ToString("X4", CultureInfo.InvariantCulture)).Append(']');
                    i++;
                    break;
                case > '\u007f' when char.IsSurrogate(c):
                    break;
                case > '\u007f':
                    sb.Append("\\[u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append(']');
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        return sb.ToString();
    }

    private static bool IsTitle(ManPageSection section, string title) =>
        string.Equals(section.Title, title, StringComparison.OrdinalIgnoreCase);

    private static string Quote(string s) => "\"" + Escape(s).Replace("\"", "\\(dq", StringComparison.Ordinal) + "\"";

    private static string FirstSentence(string description)
    {
        string firstParagraph = description.ReplaceLineEndings("\n").Split("\n\n", 2)[0].ReplaceLineEndings(" ").Trim();
        int dot = firstParagraph.IndexOf(". ", StringComparison.Ordinal);
        string sentence = dot >= 0 ? firstParagraph[..dot] : firstParagraph.TrimEnd('.');
        // "Encrypt a message" -> "encrypt a message", but "PGP/MIME filter" stays as it is.
        bool acronym = sentence.Length > 1 && char.IsUpper(sentence[1]);
        return sentence.Length == 0 || acronym ? sentence : char.ToLowerInvariant(sentence[0]) + sentence[1..];
    }

    private static IEnumerable<Option> VisibleOptions(Command command) => command.Options.Where(o => !o.Hidden);

    private static void CollectCommands(Command command, string prefix, List<(string, Command)> into)
    {
        foreach (Command sub in command.Subcommands)
        {
            if (sub.Hidden)
            {
                continue;
            }

            string path = prefix.Length == 0 ? sub.Name : prefix + " " + sub.Name;
            into.Add((path, sub));
            CollectCommands(sub, path, into);
        }
    }

    private static void AppendSynopsis(StringBuilder page, string name, Command command)
    {
        page.Append(".B ").Append(Escape(name)).Append('\n');
        if (command.Subcommands.Any(c => !c.Hidden))
        {
            page.Append(".I COMMAND\n");
        }

        foreach (Option option in VisibleOptions(command))
        {
            page.Append(option.Required ? string.Empty : "[").Append("\\fB").Append(Escape(option.Name)).Append("\\fR");
            if (ValueName(option) is { } value)
            {
                page.Append(" \\fI").Append(Escape(value)).Append("\\fR");
            }

            page.Append(option.Required ? string.Empty : "]").Append('\n');
        }

        foreach (Argument argument in command.Arguments.Where(a => !a.Hidden))
        {
            page.Append(ArgumentUsage(argument)).Append('\n');
        }
    }

    private static void AppendUsage(StringBuilder page, Command command)
    {
        if (command.Options.Any(o => !o.Hidden))
        {
            page.Append(" [\\fIoptions\\fR]");
        }

        foreach (Argument argument in command.Arguments.Where(a => !a.Hidden))
        {
            page.Append(' ').Append(ArgumentUsage(argument));
        }
    }

    private static string ArgumentUsage(Argument argument)
    {
        string label = "\\fI" + Escape((argument.HelpName ?? argument.Name).ToUpperInvariant()) + "\\fR";
        bool many = argument.Arity.MaximumNumberOfValues > 1;
        bool optional = argument.Arity.MinimumNumberOfValues == 0;
        string text = label + (many ? "..." : string.Empty);
        return optional ? "[" + text + "]" : text;
    }

    internal static string? ValueName(Option option)
    {
        if (option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool))
        {
            return null;
        }

        if (option.HelpName is { Length: > 0 } help)
        {
            return help;
        }

        return option.Name.TrimStart('-', '/').Replace('-', '_').ToUpperInvariant();
    }

    private static void AppendOption(StringBuilder page, Option option)
    {
        page.Append(".TP\n");
        var names = new List<string>(option.Aliases.Where(a => a.Length <= 2)) { option.Name };
        names.AddRange(option.Aliases.Where(a => a.Length > 2));
        page.Append(string.Join(", ", names.Distinct(StringComparer.Ordinal).Select(n => "\\fB" + Escape(n) + "\\fR")));
        if (ValueName(option) is { } value)
        {
            page.Append(" \\fI").Append(Escape(value)).Append("\\fR");
        }

        page.Append('\n');
        string text = option.Description ?? string.Empty;
        if (DefaultText(option) is { } defaultText)
        {
            text = text.TrimEnd() + (text.Length > 0 ? " " : string.Empty) + "Default: " + defaultText + ".";
        }

        if (option.Required)
        {
            text = text.TrimEnd() + " Required.";
        }

        AppendText(page, text, paragraphMacro: false);
    }

    internal static string? DefaultText(Option option)
    {
        if (!option.HasDefaultValue)
        {
            return null;
        }

        object? value;
        try
        {
            value = option.GetDefaultValue();
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        return value switch
        {
            null => null,
            bool => null,
            string { Length: 0 } => "empty",
            string s => s,
            IEnumerable items when value is not string => items.Cast<object?>().Any()
                ? string.Join(", ", items.Cast<object?>().Select(i => Convert.ToString(i, CultureInfo.InvariantCulture)))
                : null,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    private static void AppendItems(StringBuilder page, IReadOnlyList<ManPageItem>? items)
    {
        foreach (ManPageItem item in items ?? [])
        {
            page.Append(".TP\n\\fB").Append(Escape(item.Term)).Append("\\fR\n");
            AppendText(page, item.Text, paragraphMacro: false);
        }
    }

    private static void AppendText(StringBuilder page, string text, bool paragraphMacro = true)
    {
        string[] paragraphs = text.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        bool first = true;
        foreach (string raw in paragraphs)
        {
            string paragraph = raw.Trim('\n');
            if (paragraph.Trim().Length == 0)
            {
                continue;
            }

            string[] lines = paragraph.Split('\n');
            if (!first || paragraphMacro)
            {
                page.Append(".PP\n");
            }

            first = false;
            if (lines.All(l => l.StartsWith("    ", StringComparison.Ordinal) || l.Length == 0))
            {
                page.Append(".RS\n.nf\n");
                foreach (string line in lines)
                {
                    string literal = line.Length >= 4 ? line[4..] : line;
                    page.Append(literal.Length == 0 ? string.Empty : "\\&").Append(Escape(literal)).Append('\n');
                }

                page.Append(".fi\n.RE\n");
                continue;
            }

            foreach (string line in lines)
            {
                string trimmed = line.Trim();
                if (trimmed.Length > 0)
                {
                    page.Append(Escape(trimmed)).Append('\n');
                }
            }
        }
    }
}
