using System.CommandLine;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Logging;
using Mailseal.Pipeline.Scrub;
using Serilog;

namespace Mailseal.Scrub;

/// <summary>
/// The definition of <c>mailseal-scrub</c> (options as properties) and its actions: scrub
/// stdin to stdout, print the equivalent Postfix pcre header_checks table, or print the rules.
/// </summary>
internal sealed class ScrubCommand
{
    /// <summary>The binary name in error lines and the syslog tag.</summary>
    public const string ToolName = "mailseal-scrub";

    private readonly ToolContext _context;

    public ScrubCommand(ToolContext context)
    {
        _context = context;
        var headerChecks = new Command("postfix-header-checks", "Print the pcre header_checks table that does the same in cleanup(8) (see its comments for the differences).") { Rules };
        headerChecks.SetAction((parse, ct) => PrintAsync(PostfixHeaderChecks.Generate(LoadRules(parse)), ct));
        var showRules = new Command("rules", "Print the rules in force, in the rules-file format (a starting point for --scrub-rules).") { Rules };
        showRules.SetAction((parse, ct) => PrintAsync(LoadRules(parse).Format(), ct));

        Root = new ToolRootCommand(ToolName, "Anonymise a message's header (stdin to stdout): drop client-identifying fields and hide the submitting client's address in the topmost Received field of an authenticated submission; fields a DKIM-Signature covers are never altered.")
        {
            Rules, QueueId, SyslogSocket, headerChecks, showRules,
        };
        Root.SetAction((parse, ct) => ScrubAsync(parse, ct));
    }

    public ToolRootCommand Root { get; }

    public Option<string> Rules { get; } = new("--scrub-rules")
    {
        Description = "Rules file (one 'drop NAME' or 'anonymize-submission-received' per line); empty for the built-in rules.",
        HelpName = "FILE",
        DefaultValueFactory = _ => string.Empty,
        Recursive = true,
    };

    public Option<string> QueueId { get; } = new("--queue-id")
    {
        Description = "Postfix queue id for the log line (pipe(8): ${queue_id}).",
        HelpName = "ID",
    };

    public Option<string> SyslogSocket { get; } = SharedOptions.SyslogSocket();

    private ScrubRules LoadRules(ParseResult parse)
    {
        string path = parse.GetValue(Rules) ?? string.Empty;
        try
        {
            return path.Length == 0 ? ScrubRules.Default : ScrubRules.Load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new MailsealException(e.Message, "4.3.5", isTransient: false, ExitCodes.TempFail, e);
        }
    }

    private async Task<int> PrintAsync(string text, CancellationToken ct)
    {
        await _context.Out.WriteAsync(text.AsMemory(), ct).ConfigureAwait(false);
        await _context.Out.FlushAsync(ct).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private async Task<int> ScrubAsync(ParseResult parse, CancellationToken ct)
    {
        var rules = LoadRules(parse);
        using var log = MailsealLogging.Create(new LoggingOptions
        {
            ToolName = ToolName,
            Mode = LogMode.Filter,
            SyslogSocket = parse.GetValue(SyslogSocket) ?? "/dev/log",
        });

        var outcome = await new HeaderScrubber(rules).ScrubAsync(_context.Input, _context.Output, ct).ConfigureAwait(false);
        await _context.Output.FlushAsync(ct).ConfigureAwait(false);

        var line = new MailLogLine(parse.GetValue(QueueId));
        if (outcome.HeaderLimitExceeded)
            line.Action("passed", "header block over a MIME limit");
        else if (outcome.Changes.Count == 0)
            line.Action("passed");
        else
            line.Action("scrubbed").Add("fields", string.Join(',', outcome.Changes.Select(c => c.Field + "=" + c.Action)));
        log.Information("{MailLine}", line.ToString());
        return ExitCodes.Ok;
    }
}
