using System.CommandLine;
using System.CommandLine.Help;
using Mailseal.Core.Cli;

namespace Mailseal.Core.Tests.Cli;

public sealed class ToolRootCommandTests
{
    private const string ToolName = "mailseal-sample";

    /// <summary>The same small tool on either root: System.CommandLine's RootCommand or ours.</summary>
    private sealed class Sample
    {
        public Sample(bool toolRoot)
        {
            Root = toolRoot ? new ToolRootCommand(ToolName, "A sample filter.") : new RootCommand("A sample filter.");
            Root.Options.Add(KeyDir);
            Root.Options.Add(Verbose);
            Root.Options.Add(Limit);
            Root.Arguments.Add(Recipients);
            Root.SetAction(pr =>
            {
                Context.Out.Write($"key_dir={pr.GetValue(KeyDir)} verbose={pr.GetValue(Verbose)} rcpt={string.Join('|', pr.GetValue(Recipients) ?? [])}");
                return 0;
            });
            Host = new ToolHost(Root, new ToolHostOptions
            {
                ToolName = ToolName,
                ConfigSection = "encrypt",
                DefaultConfigPath = "/nonexistent/mailseal.conf",
            }, Context);
        }

        public Command Root { get; }

        public Option<string> KeyDir { get; } = new("--key-dir") { Description = "Keys.", HelpName = "DIR", DefaultValueFactory = _ => "/etc/mailseal/keys" };

        public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Say more." };

        public Option<int> Limit { get; } = new("--limit") { Description = "How many." };

        public Argument<string[]> Recipients { get; } = new("recipient") { Arity = ArgumentArity.ZeroOrMore };

        public CapturedStreams Streams { get; } = new();

        public ToolContext Context => Streams.Context;

        public ToolHost Host { get; }

        public string Out => Streams.Out;

        public string Err => Streams.Err;

        public bool HasHelpOption => Root.Options.Any(o => o is HelpOption);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-?")]
    [InlineData("/?")]
    [InlineData("/h")]
    [InlineData("--generate-man-page")]
    public void Help_and_the_man_page_read_as_they_do_with_a_RootCommand(string ask)
    {
        var ours = new Sample(toolRoot: true);
        var theirs = new Sample(toolRoot: false);

        Assert.Equal(0, ours.Host.Invoke([ask]));
        Assert.Equal(0, theirs.Host.Invoke([ask]));

        // RootCommand is named after the process (the test host here); ours after the tool.
        Assert.Equal(theirs.Out.Replace(theirs.Root.Name, ToolName, StringComparison.Ordinal), ours.Out);
        string text = ours.Out.Replace("\\-", "-", StringComparison.Ordinal); // roff escapes dashes
        Assert.Contains("--help", text, StringComparison.Ordinal);
        Assert.Contains("--version", text, StringComparison.Ordinal);
        Assert.Equal(string.Empty, ours.Err);
    }

    [Fact]
    public void Help_in_a_bundle_of_short_options_is_still_help()
    {
        var ours = new Sample(toolRoot: true);
        var theirs = new Sample(toolRoot: false);

        Assert.Equal(theirs.Host.Invoke(["-vh"]), ours.Host.Invoke(["-vh"]));
        Assert.Equal(theirs.Out.Replace(theirs.Root.Name, ToolName, StringComparison.Ordinal), ours.Out);
        Assert.Equal(theirs.Err.Replace(theirs.Root.Name, ToolName, StringComparison.Ordinal), ours.Err);
    }

    [Fact]
    public void Version_prints_the_version_and_exits_0()
    {
        var tool = new Sample(toolRoot: true);
        Assert.Equal(0, tool.Host.Invoke(["--version"]));
        // The tool's name and the product version, as packaging/generate.sh and `man` expect.
        Assert.Matches(@"^mailseal-sample \d+\.\d+\.\d+\n$", tool.Out);
        Assert.Equal(string.Empty, tool.Err);
    }

    [Fact]
    public void A_plain_run_builds_no_help_option_and_parses_as_before()
    {
        var ours = new Sample(toolRoot: true);
        var theirs = new Sample(toolRoot: false);
        string[] args = ["--key-dir", "/srv/keys", "-v", "bob@a.example", "carol@b.example"];

        Assert.Equal(0, ours.Host.Invoke(args));
        Assert.Equal(0, theirs.Host.Invoke(args));
        Assert.Equal("key_dir=/srv/keys verbose=True rcpt=bob@a.example|carol@b.example", ours.Out);
        Assert.Equal(theirs.Out, ours.Out);
        Assert.False(ours.HasHelpOption);
    }

    [Theory]
    [InlineData("--limit", "ten")]
    [InlineData("bob@a.example", "--key-dir")]
    public void A_usage_error_is_the_same_one_line_as_with_a_RootCommand(string first, string second)
    {
        var ours = new Sample(toolRoot: true);
        var theirs = new Sample(toolRoot: false);

        Assert.Equal(75, ours.Host.Invoke([first, second]));
        Assert.Equal(75, theirs.Host.Invoke([first, second]));
        Assert.Equal(theirs.Err, ours.Err);
        Assert.StartsWith("4.3.5 mailseal-sample: ", ours.Err, StringComparison.Ordinal);
        Assert.Equal(string.Empty, ours.Out);
    }

    [Fact]
    public void Help_is_added_once_however_often_the_tool_runs()
    {
        var tool = new Sample(toolRoot: true);
        Assert.Equal(0, tool.Host.Invoke(["--help"]));
        Assert.Equal(0, tool.Host.Invoke(["-h"]));
        Assert.Single(tool.Root.Options, o => o is HelpOption);
        Assert.Single(tool.Root.Options, o => o is VersionOption);
    }
}
