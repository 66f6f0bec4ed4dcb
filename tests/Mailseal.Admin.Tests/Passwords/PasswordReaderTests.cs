using System.Text;
using Mailseal.Admin.Passwords;
using Mailseal.Core.Cli;

namespace Mailseal.Admin.Tests.Passwords;

public class PasswordReaderTests
{
    [Theory]
    [InlineData("secret\n", "secret")]
    [InlineData("secret\r\nrest\n", "secret")]
    [InlineData("no newline", "no newline")]
    [InlineData("  spaces kept  \n", "  spaces kept  ")]
    [InlineData("quote'semi;\n", "quote'semi;")]
    public async Task The_first_line_of_stdin_is_the_password(string input, string expected) =>
        Assert.Equal(expected, await PasswordReader.ReadLineAsync(new MemoryStream(Encoding.UTF8.GetBytes(input)), CancellationToken.None));

    [Fact]
    public async Task Ten_kilobytes_on_stdin_are_refused()
    {
        var e = await Assert.ThrowsAsync<MailsealException>(() => PasswordReader.ReadLineAsync(new MemoryStream(new byte[10240]), CancellationToken.None));
        Assert.Contains("longer than", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_are_refused()
    {
        var e = await Assert.ThrowsAsync<MailsealException>(() => PasswordReader.ReadLineAsync(new MemoryStream([0xff, 0xfe, (byte)'\n']), CancellationToken.None));
        Assert.Contains("UTF-8", e.Message, StringComparison.Ordinal);
    }
}
