using Mailseal.Pipeline.Scrub;

namespace Mailseal.Pipeline.Tests.Scrub;

public class ScrubRulesTests
{
    [Fact]
    public void Parses_comments_blank_lines_and_both_rule_kinds()
    {
        var rules = ScrubRules.Parse("# privacy\n\ndrop User-Agent   # the client\n  DROP X-*\nanonymize-submission-received\n", "rules");
        Assert.Equal(
            [new ScrubRule(ScrubRuleKind.Drop, "User-Agent", 3), new ScrubRule(ScrubRuleKind.Drop, "X-*", 4), new ScrubRule(ScrubRuleKind.AnonymizeSubmissionReceived, string.Empty, 5)],
            rules.Rules);
    }

    [Theory]
    [InlineData("drop\n", "rules, line 1: 'drop' takes one header name")]
    [InlineData("drop A B\n", "rules, line 1: 'drop' takes one header name")]
    [InlineData("\ndrop Bad:Name\n", "rules, line 2: 'drop' takes one header name")]
    [InlineData("rewrite Subject x\n", "rules, line 1: unknown rule 'rewrite'")]
    [InlineData("anonymize-submission-received now\n", "rules, line 1: unknown rule")]
    public void Bad_lines_name_the_line(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ScrubRules.Parse(text, "rules"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_round_trip_through_the_file_format()
    {
        var again = ScrubRules.Parse(ScrubRules.Default.Format(), "default");
        Assert.Equal(ScrubRules.Default.Rules.Select(r => (r.Kind, r.Pattern)), again.Rules.Select(r => (r.Kind, r.Pattern)));
    }

    [Fact]
    public void Load_refuses_a_missing_or_huge_file()
    {
        Assert.Throws<FileNotFoundException>(() => ScrubRules.Load("/nonexistent/rules"));
        string big = Path.GetTempFileName();
        try
        {
            File.WriteAllText(big, new string('#', ScrubRules.MaxFileBytes + 1));
            Assert.Throws<FormatException>(() => ScrubRules.Load(big));
        }
        finally
        {
            File.Delete(big);
        }
    }
}
