namespace Mailseal.Policy.Tests;

public class PolicyResponseTests
{
    [Fact]
    public void Wire_form_is_one_action_line_and_a_blank_line()
    {
        Assert.Equal("action=DUNNO\n\n", PolicyResponse.Dunno.ToWire());
        Assert.Equal("action=550 5.7.23 no\n\n", new PolicyResponse("550 5.7.23 no").ToWire());
    }

    [Fact]
    public void Newlines_cannot_inject_a_second_attribute()
    {
        var r = new PolicyResponse("PREPEND X-A: b\n\naction=OK\r\nX-C: d\u2028e");
        Assert.DoesNotContain('\n', r.Action);
        Assert.DoesNotContain('\r', r.Action);
        Assert.Equal(2, r.ToWire().Count(c => c == '\n'));
    }

    [Fact]
    public void Overlong_action_is_capped()
    {
        Assert.Equal(PolicyResponse.MaxActionLength, new PolicyResponse("PREPEND X: " + new string('a', 10_000)).Action.Length);
    }
}
