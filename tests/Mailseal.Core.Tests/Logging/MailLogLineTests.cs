using Mailseal.Core.Logging;

namespace Mailseal.Core.Tests.Logging;

public sealed class MailLogLineTests
{
    [Fact]
    public void Formats_fields_in_postfix_shape()
    {
        string line = new MailLogLine("4Bq1Xy2Zz").To("bob@example.org").Action("encrypted").Key([0xAB, 0x01]).Size(1234).ToString();
        Assert.Equal("4Bq1Xy2Zz: to=<bob@example.org>, action=encrypted, key=AB01, size=1234", line);
    }

    [Fact]
    public void Without_queue_id_it_says_NOQUEUE_and_details_go_in_parentheses()
    {
        string line = new MailLogLine(null).From(string.Empty).To("carol@example.org").Action("tempfail", "no key for carol@example.org").ToString();
        Assert.Equal("NOQUEUE: from=<>, to=<carol@example.org>, action=tempfail (no key for carol@example.org)", line);
    }

    [Fact]
    public void Hostile_values_stay_on_one_bounded_line()
    {
        string line = new MailLogLine("Q").To("evil\r\nfake: to=<x>").Add("helo", new string('h', 2000)).ToString();
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.Contains("to=<evil??fake: to=<x>>", line, StringComparison.Ordinal);
        Assert.True(line.Length < 600, $"length {line.Length}");
    }
}
