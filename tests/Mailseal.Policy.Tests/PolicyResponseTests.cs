using System.Text;

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
    public void Random_actions_are_sanitised_by_the_rules_and_sent_as_their_utf8_wire_form()
    {
        // Controls, both line separators, whitespace at either end, surrogates (paired, lone,
        // cut at the cap) and the cap itself, in random mixes: the reply keeps nothing that could
        // end its line, and its bytes are exactly "action=" + text + "\n\n" in UTF-8.
        char[] alphabet = ['a', 'Z', ' ', '\t', '\r', '\n', '\0', '\u007f', '\u0085', '\u2028', '\u2029', '\u00e9', '\ud83d', '\ude00', '\u3000', ':', '='];
        var random = new Random(20261204);
        for (var i = 0; i < 5000; i++)
        {
            var length = random.Next(4) == 0 ? PolicyResponse.MaxActionLength - 3 + random.Next(6) : random.Next(12);
            var text = new string(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var response = new PolicyResponse(text);
            Assert.Equal(Expected(text), response.Action);
            Assert.Equal(Encoding.UTF8.GetBytes(response.ToWire()), response.WireBytes.ToArray());
        }
    }

    /// <summary>The rules written out plainly: controls and line separators to spaces, capped (never inside a surrogate pair), trimmed, DUNNO when empty.</summary>
    private static string Expected(string text)
    {
        var capped = text.Length > PolicyResponse.MaxActionLength ? text[..PolicyResponse.MaxActionLength] : text;
        if (capped.Length > 0 && char.IsHighSurrogate(capped[^1]))
            capped = capped[..^1];
        var replaced = new string(capped.Select(c => char.IsControl(c) || c is '\u2028' or '\u2029' ? ' ' : c).ToArray()).Trim();
        return replaced.Length == 0 ? "DUNNO" : replaced;
    }

    [Fact]
    public void Overlong_action_is_capped()
    {
        Assert.Equal(PolicyResponse.MaxActionLength, new PolicyResponse("PREPEND X: " + new string('a', 10_000)).Action.Length);
    }
}
