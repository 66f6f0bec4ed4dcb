using Mailseal.Admin.Zone;

namespace Mailseal.Admin.Tests.Zone;

public class TxtDataTests
{
    [Fact]
    public void Long_text_is_cut_into_quoted_strings_of_at_most_255_bytes()
    {
        string text = "v=DKIM1; k=rsa; p=" + new string('A', 400);

        string quoted = TxtData.Quote(text);

        string[] parts = quoted.Split("\" \"");
        Assert.Equal(2, parts.Length);
        Assert.Equal(255, parts[0].TrimStart('"').Length);
        Assert.Equal(text, quoted.Replace("\" \"", string.Empty, StringComparison.Ordinal).Trim('"'));
    }

    [Fact]
    public void Quotes_and_backslashes_are_escaped() =>
        Assert.Equal("\"a\\\"b\\\\c\"", TxtData.Quote("a\"b\\c"));

    [Fact]
    public void Tags_are_read_and_a_repeated_or_malformed_tag_is_refused()
    {
        var tags = TxtData.Tags("v=DMARC1; p=none; rua=mailto:postmaster@example.org");
        Assert.NotNull(tags);
        Assert.Equal("none", tags["p"]);
        Assert.Null(TxtData.Tags("v=DMARC1; p=none; p=reject"));
        Assert.Null(TxtData.Tags("v=DMARC1; none"));
    }
}
