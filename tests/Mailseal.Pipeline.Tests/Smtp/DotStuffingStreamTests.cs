using System.Text;
using Mailseal.Pipeline.Smtp;

namespace Mailseal.Pipeline.Tests.Smtp;

public class DotStuffingStreamTests
{
    private static async Task<string> StuffAsync(params string[] writes)
    {
        var output = new MemoryStream();
        await using var s = new DotStuffingStream(output, bufferSize: 64);
        foreach (string w in writes)
            await s.WriteAsync(Encoding.Latin1.GetBytes(w));
        await s.CompleteAsync(CancellationToken.None);
        return Encoding.Latin1.GetString(output.ToArray());
    }

    [Theory]
    [InlineData("a\nb\n", "a\r\nb\r\n")]
    [InlineData("a\r\nb\r\n", "a\r\nb\r\n")]
    [InlineData("a\rb", "a\r\nb\r\n")]
    [InlineData(".hidden\n..two\nmid.dle\n", "..hidden\r\n...two\r\nmid.dle\r\n")]
    [InlineData("no newline at end", "no newline at end\r\n")]
    [InlineData("", "")]
    [InlineData(".", "..\r\n")]
    [InlineData("x\n.\n", "x\r\n..\r\n")]
    public async Task Normalises_line_ends_and_stuffs_dots(string input, string expected) =>
        Assert.Equal(expected, await StuffAsync(input));

    [Fact]
    public async Task Cr_lf_split_across_writes_is_one_line_end() =>
        Assert.Equal("a\r\n.b\r\n".Replace(".b", "..b", StringComparison.Ordinal), await StuffAsync("a\r", "\n.b\n"));

    [Fact]
    public async Task Large_inputs_pass_through_the_small_buffer_intact()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 5000; i++)
            sb.Append(i % 7 == 0 ? "." : string.Empty).Append("line ").Append(i).Append('\n');
        string result = await StuffAsync(sb.ToString());
        string expected = sb.ToString().Replace("\n", "\r\n", StringComparison.Ordinal).Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
        expected = expected.StartsWith('.') ? "." + expected : expected;
        Assert.Equal(expected, result);
    }

    [Fact]
    public async Task Never_writes_the_terminating_dot()
    {
        string result = await StuffAsync("body\n");
        Assert.DoesNotContain("\r\n.\r\n", "\r\n" + result, StringComparison.Ordinal);
    }
}
