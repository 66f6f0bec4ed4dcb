using System.CommandLine;
using Mailseal.Core.Cli;
using Mailseal.Core.Configuration;

namespace Mailseal.Core.Tests.Cli;

public sealed class ToolHostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailseal-host-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A small filter shaped like mailseal-encrypt whose action prints what it was given.</summary>
    private sealed class SampleTool
    {
        public SampleTool(ToolKind kind = ToolKind.Filter, Func<ParseResult, int>? action = null, string? defaultConfig = null)
        {
            Root = new RootCommand("Encrypt a message to its recipients' keys.");
            Root.Options.Add(KeyDir);
            Root.Options.Add(MaxSize);
            Root.Options.Add(Protect);
            Root.Options.Add(Domains);
            Root.Arguments.Add(Recipients);
            Root.SetAction(action ?? (pr =>
            {
                Context.Out.Write($"key_dir={pr.GetValue(KeyDir)} max={pr.GetValue(MaxSize)} protect={pr.GetValue(Protect)} " +
                    $"domains={string.Join('|', pr.GetValue(Domains) ?? [])} rcpt={string.Join('|', pr.GetValue(Recipients) ?? [])}");
                return 0;
            }));
            Host = new ToolHost(Root, new ToolHostOptions
            {
                ToolName = "mailseal-encrypt",
                ConfigSection = "encrypt",
                Kind = kind,
                DefaultConfigPath = defaultConfig ?? "/nonexistent/mailseal.conf",
            }, Context);
        }

        public RootCommand Root { get; }

        public Option<string> KeyDir { get; } = SharedOptions.KeyDir();

        public Option<int> MaxSize { get; } = new("--max-size") { DefaultValueFactory = _ => 10, Description = "Largest message." };

        public Option<bool> Protect { get; } = new("--protect-headers") { Description = "Protect headers." };

        public Option<string[]> Domains { get; } = new("--extra-domains") { Description = "More domains." };

        public Argument<string[]> Recipients { get; } = new("recipient") { Arity = ArgumentArity.ZeroOrMore };

        public CapturedStreams Streams { get; } = new();

        public ToolContext Context => Streams.Context;

        public ToolHost Host { get; }

        public string Out => Streams.Out;

        public string Err => Streams.Err;
    }

    private string WriteConfig(string text)
    {
        string path = Path.Combine(_dir, "mailseal.conf");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Config_values_fill_options_whose_flags_are_absent_and_flags_win()
    {
        string conf = WriteConfig("key_dir = /shared\n[encrypt]\nmax_size = 42\nprotect_headers = yes\nextra_domains = a.org, b.org\n[pipe]\nmax_size = 7\n");

        var tool = new SampleTool();
        int rc = tool.Host.Invoke(["--config", conf, "bob@a.org", "carol@b.org"]);
        Assert.Equal(0, rc);
        Assert.Equal("key_dir=/shared max=42 protect=True domains=a.org|b.org rcpt=bob@a.org|carol@b.org", tool.Out);
        Assert.Equal(string.Empty, tool.Err);
        Assert.Equal(conf, tool.Context.Settings.FilePath);

        var flags = new SampleTool();
        Assert.Equal(0, flags.Host.Invoke(["--key-dir", "/flag", "--config", conf, "--max-size=5", "--protect-headers", "false", "bob@a.org"]));
        Assert.Equal("key_dir=/flag max=5 protect=False domains=a.org|b.org rcpt=bob@a.org", flags.Out);
    }

    [Fact]
    public void Without_config_the_default_file_is_read_when_present_and_defaults_apply_otherwise()
    {
        string conf = WriteConfig("key_dir = /from-default\n");
        var tool = new SampleTool(defaultConfig: conf);
        Assert.Equal(0, tool.Host.Invoke(["x@y"]));
        Assert.StartsWith("key_dir=/from-default max=10 ", tool.Out, StringComparison.Ordinal);

        var none = new SampleTool();
        Assert.Equal(0, none.Host.Invoke(["x@y"]));
        Assert.StartsWith("key_dir=/etc/mailseal/keys max=10 protect=False", none.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_config_file_is_a_tempfail_naming_the_file()
    {
        var tool = new SampleTool();
        string missing = Path.Combine(_dir, "nope.conf");
        Assert.Equal(75, tool.Host.Invoke(["--config", missing, "bob@a.org"]));
        Assert.Equal($"4.3.5 mailseal-encrypt: {missing}: no such file\n", tool.Err.ReplaceLineEndings("\n"));
        Assert.Equal(string.Empty, tool.Out);
    }

    [Fact]
    public void A_bad_config_value_names_file_and_line()
    {
        string conf = WriteConfig("# x\n[encrypt]\nmax_size = lots\n");
        var tool = new SampleTool();
        Assert.Equal(75, tool.Host.Invoke(["--config", conf, "bob@a.org"]));
        Assert.StartsWith($"4.3.5 mailseal-encrypt: {conf}:3: bad value for max_size: ", tool.Err, StringComparison.Ordinal);
        Assert.Single(tool.Err.TrimEnd().Split('\n'));

        string badBool = WriteConfig("[encrypt]\nprotect_headers = perhaps\n");
        var tool2 = new SampleTool();
        Assert.Equal(75, tool2.Host.Invoke(["--config", badBool]));
        Assert.Equal($"4.3.5 mailseal-encrypt: {badBool}:2: bad value for protect_headers: \"perhaps\" is not yes or no", tool2.Err.TrimEnd());
    }

    [Fact]
    public void An_unknown_name_in_the_tools_section_is_an_error()
    {
        string conf = WriteConfig("[encrypt]\nmax_sise = 4\n");
        var tool = new SampleTool();
        Assert.Equal(75, tool.Host.Invoke(["--config", conf]));
        Assert.StartsWith($"4.3.5 mailseal-encrypt: {conf}:2: unknown name \"max_sise\" in [encrypt]", tool.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shared_option_validates_its_flag_like_the_file()
    {
        var tool = new SampleTool();
        Assert.Equal(75, tool.Host.Invoke(["--key-dir", "relative", "bob@a.org"]));
        Assert.Equal("4.3.5 mailseal-encrypt: key_dir must be an absolute path, not \"relative\" (see --help)", tool.Err.TrimEnd());
    }

    [Fact]
    public void An_exception_becomes_one_line_and_75_never_a_stack_trace()
    {
        var tool = new SampleTool(action: _ => throw new InvalidOperationException("boom\n   at Somewhere.Method()"));
        Assert.Equal(75, tool.Host.Invoke(["bob@a.org"]));
        Assert.Equal("4.3.0 mailseal-encrypt: internal error: boom at Somewhere.Method()\n", tool.Err.ReplaceLineEndings("\n"));

        var custom = new SampleTool(action: _ => throw new MailsealException("no recipient given", "4.3.5", isTransient: false, exitCode: 75, innerException: null));
        Assert.Equal(75, custom.Host.Invoke([]));
        Assert.Equal("4.3.5 mailseal-encrypt: no recipient given", custom.Err.TrimEnd());
        Assert.Equal(string.Empty, custom.Out);
    }

    [Fact]
    public void A_usage_error_is_75_for_filters_and_64_for_interactive_tools()
    {
        var filter = new SampleTool();
        Assert.Equal(75, filter.Host.Invoke(["--max-size", "x"]));
        Assert.StartsWith("4.3.5 mailseal-encrypt: Cannot parse argument 'x' for option '--max-size'", filter.Err, StringComparison.Ordinal);
        Assert.Single(filter.Err.TrimEnd().Split('\n'));
        Assert.Equal(string.Empty, filter.Out);

        var admin = new SampleTool(ToolKind.Interactive);
        Assert.Equal(64, admin.Host.Invoke(["--max-size"]));
        Assert.StartsWith("mailseal-encrypt: ", admin.Err, StringComparison.Ordinal);

        var adminConfig = new SampleTool(ToolKind.Interactive);
        Assert.Equal(78, adminConfig.Host.Invoke(["--config", Path.Combine(_dir, "missing")]));
    }

    [Fact]
    public void Help_goes_to_the_injected_output_and_exits_0()
    {
        var tool = new SampleTool();
        Assert.Equal(0, tool.Host.Invoke(["--help"]));
        Assert.Contains("--key-dir <DIR>", tool.Out, StringComparison.Ordinal);
        Assert.Contains("--config <FILE>", tool.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--generate-man-page", tool.Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, tool.Err);
    }

    [Fact]
    public void Help_works_even_when_the_config_file_is_broken()
    {
        string conf = WriteConfig("this is not a config\n");
        var tool = new SampleTool(defaultConfig: conf);
        Assert.Equal(0, tool.Host.Invoke(["--help"]));
        Assert.Contains("--max-size", tool.Out, StringComparison.Ordinal);

        var run = new SampleTool(defaultConfig: conf);
        Assert.Equal(75, run.Host.Invoke(["bob@a.org"]));
        Assert.Equal($"4.3.5 mailseal-encrypt: {conf}:1: malformed line (expected name = value)", run.Err.TrimEnd());
    }

    [Fact]
    public void Generate_man_page_prints_roff()
    {
        var tool = new SampleTool();
        Assert.Equal(0, tool.Host.Invoke(["--generate-man-page"]));
        Assert.StartsWith(".TH \"MAILSEAL\\-ENCRYPT\" \"8\"", tool.Out, StringComparison.Ordinal);
        Assert.Contains("\\fB\\-\\-key\\-dir\\fR \\fIDIR\\fR", tool.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_prints_the_tool_name_and_product_version_on_the_tools_own_output()
    {
        var tool = new SampleTool(defaultConfig: WriteConfig("this is not a config\n"));
        Assert.Equal(0, tool.Host.Invoke(["--version"]));
        Assert.Matches(@"^mailseal-encrypt \d+\.\d+\.\d+\n$", tool.Out.ReplaceLineEndings("\n"));
        Assert.Equal(string.Empty, tool.Err);
    }

    [Fact]
    public void Generate_config_prints_every_setting_commented_shared_names_before_the_section()
    {
        var tool = new SampleTool();
        Assert.Equal(0, tool.Host.Invoke(["--generate-config"]));
        string text = tool.Out;

        int section = text.IndexOf("[encrypt]\n", StringComparison.Ordinal);
        Assert.True(section > 0, text);
        Assert.True(text.IndexOf("#key_dir = /etc/mailseal/keys\n", StringComparison.Ordinal) is >= 0 and var k && k < section, text);
        Assert.True(text.IndexOf("#max_size = 10\n", StringComparison.Ordinal) > section, text);
        Assert.Contains("# Largest message. Default: 10. Flag: --max-size MAX_SIZE.\n", text, StringComparison.Ordinal);
        Assert.Contains("#protect_headers = no\n", text, StringComparison.Ordinal);
        Assert.Contains("#extra_domains =\n", text, StringComparison.Ordinal);
        // Not settings: the host's own options and --help.
        Assert.DoesNotContain("config =", text, StringComparison.Ordinal);
        Assert.DoesNotContain("generate", text, StringComparison.Ordinal);
        Assert.DoesNotContain("help", text, StringComparison.Ordinal);
        // Every non-comment line is a section header or blank: the file is inert until edited.
        Assert.All(text.Split('\n'), line => Assert.True(line.Length == 0 || line[0] == '#' || line == "[encrypt]", line));
    }

    [Fact]
    public void The_generated_config_uncommented_is_read_back_by_the_tool()
    {
        var tool = new SampleTool();
        Assert.Equal(0, tool.Host.Invoke(["--generate-config"]));
        string uncommented = string.Join('\n', tool.Out.Split('\n').Select(l => System.Text.RegularExpressions.Regex.IsMatch(l, "^#[a-z_]+ =") ? l[1..] : l));
        string conf = WriteConfig(uncommented.Replace("#max_size = 10", "max_size = 10", StringComparison.Ordinal).Replace("max_size = 10", "max_size = 12", StringComparison.Ordinal));

        var run = new SampleTool();
        Assert.Equal(0, run.Host.Invoke(["--config", conf, "bob@a.org"]));
        Assert.Equal("key_dir=/etc/mailseal/keys max=12 protect=False domains= rcpt=bob@a.org", run.Out);
    }

    [Fact]
    public async Task Subcommand_options_are_filled_from_the_config_in_their_own_scope()
    {
        string conf = WriteConfig("database = Host=db.example;Database=mail\n[admin]\nverbose = yes\nlimit = 3\n");
        var root = new RootCommand("Administer Mailseal.");
        var verbose = new Option<bool>("--verbose") { Description = "More output." };
        var database = SharedOptions.Database();
        var limit = new Option<int>("--limit") { Description = "At most N." };
        var name = new Argument<string>("name");
        var list = new Command("list", "List users.") { database, limit, name };
        root.Options.Add(verbose);
        root.Subcommands.Add(list);
        var outText = new StringWriter();
        var context = new ToolContext(new MemoryStream(), new MemoryStream(), new StringWriter(), outText);
        list.SetAction(pr => context.Out.Write($"{pr.GetValue(verbose)} {pr.GetValue(database)} {pr.GetValue(limit)} {pr.GetValue(name)}"));
        var host = new ToolHost(root, new ToolHostOptions { ToolName = "mailseal-admin", ConfigSection = "admin", Kind = ToolKind.Interactive }, context);

        int rc = await host.InvokeAsync(["--config", conf, "list", "bob"]);

        Assert.Equal(0, rc);
        Assert.Equal("True Host=db.example;Database=mail 3 bob", outText.ToString());
    }

    [Fact]
    public void Errors_can_go_to_a_reporter_instead_of_stderr()
    {
        var lines = new List<string>();
        var root = new RootCommand("Policy daemon.");
        root.SetAction((Func<ParseResult, int>)(_ => throw new MailsealException("database down", "4.4.3", isTransient: true, exitCode: 75, innerException: null)));
        var err = new StringWriter();
        var host = new ToolHost(root, new ToolHostOptions
        {
            ToolName = "mailseal-spfd",
            ConfigSection = "spfd",
            Kind = ToolKind.Daemon,
            DefaultConfigPath = "/nonexistent/x.conf",
            WriteErrorsToStderr = false,
            ErrorReporter = lines.Add,
        }, new ToolContext(new MemoryStream(), new MemoryStream(), err));

        Assert.Equal(75, host.Invoke([]));
        Assert.Equal(["mailseal-spfd: database down"], lines);
        Assert.Equal(string.Empty, err.ToString());
    }

    [Fact]
    public void An_overlong_message_is_cut_to_one_bounded_line()
    {
        var tool = new SampleTool(action: _ => throw new MailsealException(new string('x', 5000)));
        Assert.Equal(75, tool.Host.Invoke([]));
        string line = tool.Err.TrimEnd();
        Assert.Equal(500 + "4.3.0 ".Length, line.Length);
        Assert.EndsWith("...", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_reports_usage_and_async_failures_without_a_status_code()
    {
        var root = new RootCommand("Policy daemon.");
        var listen = new Option<string[]>("--listen") { Description = "Where to listen." };
        root.Options.Add(listen);
        root.SetAction(async (_, ct) =>
        {
            await Task.Delay(1, ct);
            throw new IOException("socket gone");
        });
        var err = new StringWriter();
        var host = new ToolHost(root, new ToolHostOptions { ToolName = "mailseal-greyd", ConfigSection = "greyd", Kind = ToolKind.Daemon, DefaultConfigPath = "/nonexistent/x.conf" },
            new ToolContext(new MemoryStream(), new MemoryStream(), err));

        Assert.Equal(75, await host.InvokeAsync(["--bogus"]));
        Assert.Equal("mailseal-greyd: Unrecognized command or argument '--bogus'. (see --help)", err.ToString().TrimEnd());

        err.GetStringBuilder().Clear();
        Assert.Equal(75, await host.InvokeAsync(["--listen", "inet:127.0.0.1:10023"]));
        Assert.Equal("mailseal-greyd: I/O error: socket gone", err.ToString().TrimEnd());
    }

    [Theory]
    [InlineData("yes", "True x")]
    [InlineData("no", "False x")]
    public void A_switch_without_a_value_is_set_from_yes_or_no(string value, string expected)
    {
        string conf = WriteConfig($"[maildir]\ndry_run = {value}\n");
        var root = new RootCommand("Encrypt a Maildir in place.");
        var dryRun = new Option<bool>("--dry-run") { Arity = ArgumentArity.Zero, Description = "Change nothing." };
        var folder = new Argument<string>("folder");
        root.Options.Add(dryRun);
        root.Arguments.Add(folder);
        var outText = new StringWriter();
        var context = new ToolContext(new MemoryStream(), new MemoryStream(), new StringWriter(), outText);
        root.SetAction(pr => context.Out.Write($"{pr.GetValue(dryRun)} {pr.GetValue(folder)}"));
        var host = new ToolHost(root, new ToolHostOptions { ToolName = "mailseal-maildir", ConfigSection = "maildir" }, context);

        Assert.Equal(0, host.Invoke(["--config", conf, "x"]));
        Assert.Equal(expected, outText.ToString());
    }
}
