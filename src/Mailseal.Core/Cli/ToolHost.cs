using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using Mailseal.Core.Configuration;

namespace Mailseal.Core.Cli;

/// <summary>
/// Runs a tool's System.CommandLine definition with the one error policy every Mailseal tool
/// keeps (see DESIGN.md, "Contracts every tool keeps"):
/// <list type="bullet">
/// <item>reads the configuration file (<c>--config FILE</c>, else /etc/mailseal/mailseal.conf if it
/// exists) and feeds its values to the options whose flags were not given: the file's
/// <c>key_dir</c> is the option <c>--key-dir</c>; flags win;</item>
/// <item>turns any exception, usage error or configuration error into ONE line on stderr and an
/// exit code (75 for mail-path tools), never a stack trace;</item>
/// <item>prints the man page for the hidden <c>--generate-man-page</c> option.</item>
/// </list>
/// </summary>
/// <example>
/// <code>
/// var context = ToolContext.FromConsole();
/// var keyDir = SharedOptions.KeyDir();
/// var recipients = new Argument&lt;string[]&gt;("recipient") { Arity = ArgumentArity.ZeroOrMore };
/// var root = new RootCommand("Encrypt a message to its recipients' keys.") { keyDir, recipients };
/// root.SetAction(async (parseResult, ct) =&gt;
/// {
///     string[] to = parseResult.GetValue(recipients) ?? [];
///     if (to.Length == 0)
///         throw new MailsealException("no recipient given", "4.3.5", isTransient: false, ExitCodes.TempFail, null);
///     // ... read context.Input, write context.Output, use context.Settings ...
///     return ExitCodes.Ok;
/// });
/// var host = new ToolHost(root, new ToolHostOptions { ToolName = "mailseal-encrypt", ConfigSection = "encrypt" }, context);
/// return await host.InvokeAsync(args);
/// </code>
/// </example>
public sealed class ToolHost
{
    /// <summary>The long name of the option that names another configuration file.</summary>
    public const string ConfigOptionName = "--config";

    /// <summary>The long name of the hidden option that prints the man page.</summary>
    public const string GenerateManPageOptionName = "--generate-man-page";

    /// <summary>The long name of the hidden option that prints the tool's commented mailseal.conf excerpt.</summary>
    public const string GenerateConfigOptionName = "--generate-config";

    private readonly Command _root;
    private readonly ToolHostOptions _options;
    private bool _standardOptionsAdded;

    /// <summary>
    /// Wraps <paramref name="root"/>, adding <c>--config</c> and the hidden
    /// <c>--generate-man-page</c> to it (both recursive, so every subcommand accepts them).
    /// </summary>
    /// <param name="root">The tool's command tree, its actions already set: a
    /// <see cref="ToolRootCommand"/> (--help and --version are added when the command line can
    /// ask for them) or a <see cref="RootCommand"/> (which has them already).</param>
    /// <param name="options">Tool name, section, kind.</param>
    /// <param name="context">The streams (null = the console).</param>
    public ToolHost(Command root, ToolHostOptions options, ToolContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ToolName);
        if (options.ConfigSection is not null && !ConfigurationNames.IsSection(options.ConfigSection))
        {
            throw new ArgumentException($"unknown configuration section {options.ConfigSection}", nameof(options));
        }

        _root = root;
        _options = options;
        Context = context ?? ToolContext.FromConsole();
        ConfigOption = new Option<string>(ConfigOptionName)
        {
            Description = $"Read settings from FILE instead of {options.DefaultConfigPath}. Flags given on the command line win over the file.",
            HelpName = "FILE",
            Recursive = true,
        };
        GenerateManPageOption = new Option<bool>(GenerateManPageOptionName)
        {
            Description = "Print this tool's man page (roff) and exit.",
            Hidden = true,
            Recursive = true,
        };
        GenerateConfigOption = new Option<bool>(GenerateConfigOptionName)
        {
            Description = "Print this tool's settings as a commented mailseal.conf excerpt and exit.",
            Hidden = true,
            Recursive = true,
        };
        root.Options.Add(ConfigOption);
        root.Options.Add(GenerateManPageOption);
        root.Options.Add(GenerateConfigOption);
        _standardOptionsAdded = root.Options.Any(o => o is HelpOption);
        // System.CommandLine's --version reads the entry assembly's version, which a NativeAOT
        // multi-call binary does not carry: print the tool's name and the product version.
        foreach (VersionOption version in root.Options.OfType<VersionOption>())
        {
            version.Action = new PrintVersionAction(options.ToolName, Context);
        }
    }

    /// <summary>The <c>--config FILE</c> option added to the root command.</summary>
    public Option<string> ConfigOption { get; }

    /// <summary>The hidden <c>--generate-man-page</c> option added to the root command.</summary>
    public Option<bool> GenerateManPageOption { get; }

    /// <summary>The hidden <c>--generate-config</c> option added to the root command (see <see cref="ConfigurationTemplate"/>).</summary>
    public Option<bool> GenerateConfigOption { get; }

    /// <summary>The streams and, once loaded, the settings the tool runs with.</summary>
    public ToolContext Context { get; }

    /// <summary>The exit code used for a command-line usage error.</summary>
    public int UsageExitCode => _options.UsageExitCode ?? (_options.Kind == ToolKind.Interactive ? ExitCodes.Usage : ExitCodes.TempFail);

    /// <summary>Runs the tool synchronously; never throws, returns the exit code.</summary>
    public int Invoke(IReadOnlyList<string> args) => InvokeAsync(args, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Runs the tool; never throws, returns the exit code.</summary>
    public async Task<int> InvokeAsync(IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            AddStandardOptionsIfAsked(args);
            var parserConfiguration = new ParserConfiguration { ResponseFileTokenReplacer = null };
            ParseResult first = _root.Parse(args, parserConfiguration);
            if (first.GetResult(GenerateManPageOption) is { Implicit: false })
            {
                await Context.Out.WriteAsync(ManPageGenerator.Render(_root, _options.ToolName, _options.ManPage).AsMemory(), cancellationToken).ConfigureAwait(false);
                await Context.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            if (first.GetResult(GenerateConfigOption) is { Implicit: false })
            {
                await Context.Out.WriteAsync(ConfigurationTemplate.Render(_root, _options.ConfigSection, IsHostOption).AsMemory(), cancellationToken).ConfigureAwait(false);
                await Context.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var invocation = new InvocationConfiguration
            {
                Output = Context.Out,
                Error = Context.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = _options.ProcessTerminationTimeout,
            };

            // --help and --version work even when the configuration file is broken.
            if (first.Action is { ClearsParseErrors: true })
            {
                return await first.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
            }

            string? explicitConfig = first.GetResult(ConfigOption) is { Implicit: false } ? first.GetValue(ConfigOption) : null;
            ConfigurationFile file = ConfigurationFile.LoadForTool(explicitConfig, _options.DefaultConfigPath, _options.ConfigurationLimits);
            ToolSettings settings = file.ForTool(_options.ConfigSection, CollectConfigurableNames(_root));
            Context.Settings = settings;

            var injected = new Dictionary<Option, ConfigurationEntry>();
            List<string> tokens = InjectSettings(first, settings, injected);
            ParseResult parsed = injected.Count == 0 ? first : _root.Parse(tokens, parserConfiguration);

            if (parsed.Errors.Count > 0)
            {
                return ReportParseError(parsed, injected);
            }

            return await parsed.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>
    /// Adds --help and --version (System.CommandLine's own options, as a <see cref="RootCommand"/>
    /// has them) once any argument could be one of their spellings, a bundle of short options that
    /// holds <c>h</c> or <c>?</c>, or <c>--generate-man-page</c> (whose page lists them). Without
    /// such an argument the two options could match nothing, so leaving them out changes no parse;
    /// a false alarm only costs the time they take to build.
    /// </summary>
    private void AddStandardOptionsIfAsked(IReadOnlyList<string> args)
    {
        if (_standardOptionsAdded || !args.Any(MayAskForStandardOption))
        {
            return;
        }

        // First, where RootCommand puts them: help and the man page list them in the same place.
        _root.Options.Insert(0, new HelpOption());
        _root.Options.Insert(1, new VersionOption { Action = new PrintVersionAction(_options.ToolName, Context) });
        _standardOptionsAdded = true;
    }

    private static bool MayAskForStandardOption(string arg)
    {
        if (arg.StartsWith("--", StringComparison.Ordinal))
        {
            return arg.StartsWith("--help", StringComparison.Ordinal) || arg.StartsWith("--version", StringComparison.Ordinal)
                || arg.StartsWith(GenerateManPageOptionName, StringComparison.Ordinal);
        }

        if (arg.Length > 1 && arg[0] == '-')
        {
            return arg.Contains('h', StringComparison.Ordinal) || arg.Contains('?', StringComparison.Ordinal);
        }

        return arg is "/h" or "/?";
    }

    /// <summary>
    /// Formats <paramref name="exception"/> as the one line this tool prints for it
    /// (<c>4.3.5 mailseal-encrypt: no recipient given</c> for a filter).
    /// </summary>
    public string FormatErrorLine(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        (string status, string message) = Describe(exception);
        return FormatLine(status, message);
    }

    private static (string Status, string Message) Describe(Exception exception) => exception switch
    {
        MailsealException m => (m.EnhancedStatusCode, m.Message),
        OperationCanceledException => (MailsealException.DefaultEnhancedStatusCode, "interrupted"),
        UnauthorizedAccessException u => (MailsealException.DefaultEnhancedStatusCode, "permission denied: " + u.Message),
        IOException io => (MailsealException.DefaultEnhancedStatusCode, "I/O error: " + io.Message),
        OutOfMemoryException => (MailsealException.DefaultEnhancedStatusCode, "out of memory"),
        _ => (MailsealException.DefaultEnhancedStatusCode, "internal error: " + exception.Message),
    };

    private int Report(Exception exception)
    {
        WriteLine(FormatErrorLine(exception));
        if (_options.Kind != ToolKind.Interactive)
        {
            return ExitCodes.TempFail;
        }

        return exception is MailsealException m ? m.ExitCode : ExitCodes.TempFail;
    }

    private int ReportParseError(ParseResult parsed, Dictionary<Option, ConfigurationEntry> injected)
    {
        foreach (ParseError error in parsed.Errors)
        {
            Option? option = OptionOf(error.SymbolResult);
            if (option is not null && injected.TryGetValue(option, out ConfigurationEntry? entry))
            {
                return Report(new ConfigurationException(entry.FilePath, entry.LineNumber, $"bad value for {entry.Name}: {error.Message}"));
            }
        }

        WriteLine(FormatLine(_options.UsageStatusCode, parsed.Errors[0].Message + " (see --help)"));
        return UsageExitCode;
    }

    private static Option? OptionOf(SymbolResult? result)
    {
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is OptionResult optionResult)
            {
                return optionResult.Option;
            }

            if (r is CommandResult)
            {
                return null;
            }
        }

        return null;
    }

    private string FormatLine(string status, string message)
    {
        string text = _options.ToolName + ": " + Flatten(message);
        if (text.Length > _options.MaxErrorLineLength)
        {
            text = text[..Math.Max(0, _options.MaxErrorLineLength - 3)] + "...";
        }

        return _options.Kind == ToolKind.Filter ? status + " " + text : text;
    }

    private void WriteLine(string line)
    {
        try
        {
            _options.ErrorReporter?.Invoke(line);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The reporter (syslog) failing must not change the exit code or hide the line below.
        }

        if (_options.WriteErrorsToStderr)
        {
            try
            {
                Context.Error.WriteLine(line);
                Context.Error.Flush();
            }
            catch (IOException)
            {
                // stderr closed: the exit code still tells Postfix to keep the mail queued.
            }
            catch (ObjectDisposedException)
            {
                // Same.
            }
        }
    }

    private static string Flatten(string message)
    {
        var sb = new StringBuilder(message.Length);
        bool space = false;
        foreach (char c in message)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                space = sb.Length > 0;
                continue;
            }

            if (space)
            {
                sb.Append(' ');
                space = false;
            }

            sb.Append(c);
        }

        return sb.Length == 0 ? "failed" : sb.ToString();
    }

    private bool IsHostOption(Option option) =>
        ReferenceEquals(option, ConfigOption) || ReferenceEquals(option, GenerateManPageOption) || ReferenceEquals(option, GenerateConfigOption)
        || option is HelpOption || option is VersionOption;

    private HashSet<string> CollectConfigurableNames(Command command)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<Command>();
        stack.Push(command);
        while (stack.Count > 0)
        {
            Command c = stack.Pop();
            foreach (Option option in c.Options)
            {
                if (!IsHostOption(option) && ConfigurationNames.FromFlag(option.Name) is { } name)
                {
                    names.Add(name);
                }
            }

            foreach (Command sub in c.Subcommands)
            {
                stack.Push(sub);
            }
        }

        return names;
    }

    /// <summary>
    /// Rebuilds the token list with <c>--flag value</c> pairs for every option of the parsed
    /// command chain that the file sets and the command line does not. Each command's injected
    /// pairs go right after that command's own token, where its options are in scope; list
    /// options get one pair per item so no pair can swallow a positional argument.
    /// </summary>
    private List<string> InjectSettings(ParseResult first, ToolSettings settings, Dictionary<Option, ConfigurationEntry> injected)
    {
        var chain = new List<Command>();
        for (SymbolResult? r = first.CommandResult; r is not null; r = r.Parent)
        {
            if (r is CommandResult cr)
            {
                chain.Insert(0, cr.Command);
            }
        }

        var perCommand = new Dictionary<Command, List<string>>();
        var bound = new HashSet<Option>();
        foreach (Command command in chain)
        {
            var pairs = new List<string>();
            foreach (Option option in command.Options)
            {
                if (IsHostOption(option) || !bound.Add(option) || first.GetResult(option) is { Implicit: false })
                {
                    continue;
                }

                if (ConfigurationNames.FromFlag(option.Name) is not { } name || !settings.TryGet(name, out ConfigurationEntry? entry))
                {
                    continue;
                }

                injected[option] = entry;
                if (option.Arity.MaximumNumberOfValues == 0)
                {
                    // A switch that takes no value: present for yes, absent for no.
                    if (ParseBoolean(entry) == "true")
                    {
                        pairs.Add(option.Name);
                    }

                    continue;
                }

                foreach (string value in ValuesFor(option, entry))
                {
                    pairs.Add(option.Name);
                    pairs.Add(value);
                }
            }

            perCommand[command] = pairs;
        }

        var tokens = new List<string>();
        int index = 0;
        IReadOnlyList<Token> original = first.Tokens;
        while (index < original.Count && original[index].Type == TokenType.Directive)
        {
            tokens.Add(original[index++].Value);
        }

        tokens.AddRange(perCommand.GetValueOrDefault(chain[0]) ?? []);

        // The n-th command token of the parse is the n-th subcommand of the chain.
        int depth = 0;
        for (; index < original.Count; index++)
        {
            Token token = original[index];
            tokens.Add(token.Value);
            if (token.Type == TokenType.Command && ++depth < chain.Count)
            {
                tokens.AddRange(perCommand.GetValueOrDefault(chain[depth]) ?? []);
            }
        }

        return tokens;
    }

    private static IEnumerable<string> ValuesFor(Option option, ConfigurationEntry entry)
    {
        if (option.ValueType == typeof(bool))
        {
            return [ParseBoolean(entry)];
        }

        if (option.Arity.MaximumNumberOfValues > 1)
        {
            return SharedValues.SplitList(entry.Value);
        }

        return [entry.Value];
    }

    private static string ParseBoolean(ConfigurationEntry entry) => entry.Value.ToLowerInvariant() switch
    {
        "yes" or "true" or "on" or "1" => "true",
        "no" or "false" or "off" or "0" => "false",
        _ => throw new ConfigurationException(entry.FilePath, entry.LineNumber,
            string.Create(CultureInfo.InvariantCulture, $"bad value for {entry.Name}: \"{entry.Value}\" is not yes or no")),
    };

    private sealed class PrintVersionAction(string toolName, ToolContext context) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        // The tool's own writer, not the parse result's: a filter's Console.Out is not its stdout.
        public override int Invoke(ParseResult parseResult)
        {
            context.Out.WriteLine(toolName + " " + MulticallHost.Version());
            context.Out.Flush();
            return ExitCodes.Ok;
        }
    }
}
