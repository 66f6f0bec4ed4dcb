using Mailseal.Core.Mime;

namespace Mailseal.Core.Tests.Mime;

public sealed class EncodedWordsTests
{
    [Theory]
    [InlineData("=?utf-8?q?Sp=C3=A4ter_im_Caf=C3=A9=3F?=", "Später im Café?")]
    [InlineData("=?UTF-8?B?w4RydGVyZSBOYWNocmljaHQ=?= =?ISO-8859-1?Q?_und_mehr_=E9l=E8ves?=", "Ärtere Nachricht und mehr élèves")]
    [InlineData("Re: =?iso-8859-1?q?gr=FC=DF?= you", "Re: grüß you")]
    [InlineData("=?utf-8?b?w6Q=?= =?utf-8?b?w7Y=?=", "äö")]
    [InlineData("plain text", "plain text")]
    [InlineData("=?utf-8?x?bad?=", "=?utf-8?x?bad?=")]
    [InlineData("=?utf-8?q?unterminated", "=?utf-8?q?unterminated")]
    [InlineData("=?utf-8*de?q?sprache?=", "sprache")]
    [InlineData("=?unknown-charset?q?abc?=", "abc")]
    public void Decodes_q_and_b_words_and_leaves_malformed_ones(string input, string expected)
    {
        Assert.Equal(expected, EncodedWords.Decode(input));
    }

    [Fact]
    public void A_multibyte_character_split_across_words_survives()
    {
        // "ä" is C3 A4 in UTF-8, split over two B words.
        Assert.Equal("ä", EncodedWords.Decode("=?utf-8?b?ww==?= =?utf-8?b?pA==?="));
    }

    [Fact]
    public void Decoding_stops_at_the_word_limit()
    {
        var value = string.Join(' ', Enumerable.Repeat("=?utf-8?q?a?=", 50));
        var decoded = EncodedWords.Decode(value, MimeLimits.Default with { MaxEncodedWords = 10 });
        Assert.StartsWith("aaaaaaaaaa", decoded, StringComparison.Ordinal);
        Assert.Contains("=?utf-8?q?a?=", decoded, StringComparison.Ordinal);
    }
}
