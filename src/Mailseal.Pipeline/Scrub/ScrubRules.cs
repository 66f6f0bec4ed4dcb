using System.Text.RegularExpressions;

namespace Mailseal.Pipeline.Scrub;

/// <summary>
/// The rules mailseal-scrub applies. The built-in set does what the tutorial's
/// smtp_header_checks.pcre meant to do, without its flaw (it rewrote every Received field,
/// other servers' included, and cut off the continuation lines):
/// <code>
/// drop User-Agent
/// drop X-Mailer
/// drop X-Enigmail
/// drop X-Originating-IP
/// anonymize-submission-received
/// </code>
/// A rules file (config <c>scrub_rules</c>) has one rule per line in that form; <c>#</c> starts
/// a comment. It replaces the built-in set.
/// </summary>
public sealed partial class ScrubRules
{
    /// <summary>The longest rules file read (a rules file is a few lines; this stops a wrong path to a huge file).</summary>
    public const int MaxFileBytes = 64 * 1024;

    private ScrubRules(IReadOnlyList<ScrubRule> rules) => Rules = rules;

    /// <summary>The rules in file order.</summary>
    public IReadOnlyList<ScrubRule> Rules { get; }

    /// <summary>True when a rule anonymises the submission's Received field.</summary>
    public bool AnonymizesReceived => Rules.Any(r => r.Kind == ScrubRuleKind.AnonymizeSubmissionReceived);

    /// <summary>The built-in rules.</summary>
    public static ScrubRules Default { get; } = new(
    [
        new ScrubRule(ScrubRuleKind.Drop, "User-Agent"),
        new ScrubRule(ScrubRuleKind.Drop, "X-Mailer"),
        new ScrubRule(ScrubRuleKind.Drop, "X-Enigmail"),
        new ScrubRule(ScrubRuleKind.Drop, "X-Originating-IP"),
        new ScrubRule(ScrubRuleKind.AnonymizeSubmissionReceived, string.Empty),
    ]);

    /// <summary>Reads a rules file.</summary>
    /// <exception cref="FormatException">A line that is not a rule, naming file and line.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ScrubRules Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException($"scrub rules file {path} does not exist", path);
        if (info.Length > MaxFileBytes)
            throw new FormatException($"{path}: larger than {MaxFileBytes} bytes; is this a rules file?");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses rules text; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="FormatException">A line that is not a rule.</exception>
    public static ScrubRules Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rules = new List<ScrubRule>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
                line = line[..hash];
            line = line.Trim();
            if (line.Length == 0)
                continue;
            string[] words = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            switch (words[0].ToLowerInvariant())
            {
                case "drop" when words.Length == 2 && FieldName().IsMatch(words[1]):
                    rules.Add(new ScrubRule(ScrubRuleKind.Drop, words[1], i + 1));
                    break;
                case "drop":
                    throw new FormatException($"{source}, line {i + 1}: 'drop' takes one header name (letters, digits, '-', optional trailing '*')");
                case "anonymize-submission-received" when words.Length == 1:
                    rules.Add(new ScrubRule(ScrubRuleKind.AnonymizeSubmissionReceived, string.Empty, i + 1));
                    break;
                default:
                    throw new FormatException($"{source}, line {i + 1}: unknown rule '{words[0]}' (expected 'drop NAME' or 'anonymize-submission-received')");
            }
        }

        return new ScrubRules(rules);
    }

    /// <summary>The rules in the file format, for the admin to start from.</summary>
    public string Format() => string.Join('\n', Rules.Select(r => r.Kind == ScrubRuleKind.Drop ? "drop " + r.Pattern : "anonymize-submission-received")) + "\n";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9-]*\*?$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldName();
}
