using System.Text.RegularExpressions;

namespace Mailseal.EndToEnd.Tests.Packaging;

/// <summary>
/// The man pages the package ships are generated from each tool's option definitions
/// (<c>--generate-man-page</c>); these tests hold them to what <c>--help</c> shows, for every
/// tool of every multi-call binary (<c>--list</c>) and of the two single-tool binaries, subcommands included, so an option cannot
/// exist in one and not the other. With MAILSEAL_BIN_DIR=/usr/bin (tools/package-test.sh) they
/// check the installed binaries and the installed, gzipped pages too.
/// </summary>
public sealed partial class ManPageDriftTests
{
    public static TheoryData<string> Tools()
    {
        var data = new TheoryData<string>();
        foreach (var tool in PublishedTools.SingleToolBinaries)
            data.Add(tool);
        foreach (var binary in PublishedTools.MulticallBinaries)
        {
            var list = ProcessRunner.RunCheckedAsync(Path.Combine(PublishedTools.Directory, binary), ["--list"]).GetAwaiter().GetResult();
            foreach (var tool in list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                data.Add(tool.Trim());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task Every_option_in_help_is_in_the_man_page_and_the_other_way_round(string tool)
    {
        var (helpOptions, helpCommands) = await HelpAsync(tool, []);
        var page = (await ProcessRunner.RunCheckedAsync(PublishedTools.Path(tool), ["--generate-man-page"])).StandardOutput;
        var (manOptions, manCommands) = ParseManPage(page);

        Assert.True(helpOptions.Count > 0, $"{tool} --help lists no options");
        Assert.Equal(helpOptions.Order(StringComparer.Ordinal), manOptions.Order(StringComparer.Ordinal));
        Assert.Equal(helpCommands.Order(StringComparer.Ordinal), manCommands.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("--generate-man-page", manOptions);
        Assert.DoesNotContain("--generate-config", manOptions);
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task Every_tool_answers_version_with_its_name_and_the_product_version(string tool)
    {
        var r = await ProcessRunner.RunCheckedAsync(PublishedTools.Path(tool), ["--version"]);
        Assert.Matches(new Regex("^" + Regex.Escape(tool) + @" \d+\.\d+\.\d+\n$"), r.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task An_installed_man_page_is_the_one_the_installed_tool_generates(string tool)
    {
        if (!PublishedTools.IsGiven || !PublishedTools.Directory.StartsWith("/usr/", StringComparison.Ordinal))
            return; // only meaningful for an installed package (tools/package-test.sh sets MAILSEAL_BIN_DIR=/usr/bin)

        var page = (await ProcessRunner.RunCheckedAsync(PublishedTools.Path(tool), ["--generate-man-page"])).StandardOutput;
        var section = TitleSection().Match(page).Groups[1].Value;
        var installed = $"/usr/share/man/man{section}/{tool}.{section}.gz";
        Assert.True(File.Exists(installed), $"{installed} is missing");
        var text = (await ProcessRunner.RunCheckedAsync("zcat", [installed])).StandardOutput;
        // The build date differs (SOURCE_DATE_EPOCH); everything after the title line must not.
        Assert.Equal(page[page.IndexOf('\n', StringComparison.Ordinal)..], text[text.IndexOf('\n', StringComparison.Ordinal)..]);
    }

    // Options of this command and (recursively) its subcommands, and the subcommand paths.
    private static async Task<(HashSet<string> Options, HashSet<string> Commands)> HelpAsync(string tool, string[] path)
    {
        var r = await ProcessRunner.RunCheckedAsync(PublishedTools.Path(tool), [.. path, "--help"]);
        var options = new HashSet<string>(StringComparer.Ordinal);
        var commands = new HashSet<string>(StringComparer.Ordinal);
        string? block = null;
        foreach (var line in r.StandardOutput.Split('\n'))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                block = line.TrimEnd(':');
                continue;
            }

            if (block == "Options" && HelpOption().Match(line) is { Success: true } m)
            {
                foreach (Capture c in m.Groups[1].Captures)
                    options.Add(c.Value.TrimEnd(','));
            }
            else if (block == "Commands" && HelpCommand().Match(line) is { Success: true } cm)
            {
                string[] sub = [.. path, cm.Groups[1].Value];
                commands.Add(string.Join(' ', sub));
                var (o, c) = await HelpAsync(tool, sub);
                options.UnionWith(o);
                commands.UnionWith(c);
            }
        }

        options.ExceptWith(HelpAndVersion);
        return (options, commands);
    }

    private static (HashSet<string> Options, HashSet<string> Commands) ParseManPage(string page)
    {
        var options = new HashSet<string>(StringComparer.Ordinal);
        var commands = new HashSet<string>(StringComparer.Ordinal);
        var lines = page.Split('\n');
        for (var i = 0; i + 1 < lines.Length; i++)
        {
            if (lines[i] != ".TP")
                continue;
            var term = lines[i + 1].Replace("\\-", "-", StringComparison.Ordinal);
            var bold = ManBold().Matches(term).Select(x => x.Groups[1].Value).ToList();
            if (bold.Count == 0)
                continue;
            var section = SectionOf(lines, i);
            if (section is not ("OPTIONS" or "COMMANDS"))
                continue; // an item of a tool's own section (EXAMPLES, ...) is prose, not a definition
            if (bold[0].StartsWith('-') || bold[0].StartsWith('/'))
                options.UnionWith(bold.Where(b => b.StartsWith('-')));
            else if (section == "COMMANDS")
                commands.Add(bold[0]);
        }

        options.ExceptWith(HelpAndVersion);
        return (options, commands);
    }

    private static string? SectionOf(string[] lines, int index)
    {
        for (var i = index; i >= 0; i--)
        {
            if (lines[i].StartsWith(".SH ", StringComparison.Ordinal))
                return lines[i][4..].Trim().Trim('"');
        }

        return null;
    }

    private static readonly string[] HelpAndVersion = ["-?", "-h", "--help", "--version"];

    // "  -q, --queue-id <ID>  text" -> -q, --queue-id
    [GeneratedRegex(@"^  (?:(-{1,2}[^\s,<]+),? )+")]
    private static partial Regex HelpOption();

    [GeneratedRegex(@"^  ([a-z][a-z0-9-]*)(?: <[^>]+>)*  ")]
    private static partial Regex HelpCommand();

    [GeneratedRegex(@"\\fB([^\\]+)\\fR")]
    private static partial Regex ManBold();

    [GeneratedRegex(@"^\.TH ""[^""]*"" ""([0-9][a-z]*)""")]
    private static partial Regex TitleSection();
}
