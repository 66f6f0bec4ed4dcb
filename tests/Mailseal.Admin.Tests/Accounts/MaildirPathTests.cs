using Mailseal.Admin.Accounts;

namespace Mailseal.Admin.Tests.Accounts;

public class MaildirPathTests
{
    [Theory]
    [InlineData("bob@example.org", "example.org/bob/")]
    [InlineData("a.b_c-d@example.org", "example.org/a.b_c-d/")]
    [InlineData("x/.y/z@example.org", "example.org/x=2F.y=2Fz/")]
    [InlineData("o'brien@example.org", "example.org/o=27brien/")]
    [InlineData("%u~$h@example.org", "example.org/=25u=7E=24h/")]
    [InlineData("a=2f@example.org", "example.org/a=3D2f/")]
    public void Odd_characters_are_encoded_so_no_path_leaves_the_mail_root(string address, string expected)
    {
        string path = MaildirPath.For(AccountAddress.Parse(address));
        Assert.Equal(expected, path);
        string[] segments = path.TrimEnd('/').Split('/');
        Assert.Equal(2, segments.Length);
        Assert.All(segments, s => Assert.False(s is "." or ".." || s.StartsWith('.')));
        string root = Path.GetFullPath("/srv/mail/");
        Assert.StartsWith(root, Path.GetFullPath(Path.Join(root, path)), StringComparison.Ordinal);
    }

    [Fact]
    public void Different_addresses_never_share_a_maildir()
    {
        // '=' is encoded too, so an address spelled like an encoding cannot collide.
        Assert.NotEqual(MaildirPath.For("a=2f@example.org"), MaildirPath.For(AccountAddress.Parse("a/@example.org")));
    }

    [Theory]
    [InlineData("bob@../x")]
    [InlineData("bob@Example.org")]
    [InlineData("bob")]
    public void An_address_that_was_not_normalised_is_refused(string address) =>
        Assert.Throws<ArgumentException>(() => MaildirPath.For(address));
}
