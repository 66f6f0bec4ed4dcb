using Mailseal.Admin.Zone;

namespace Mailseal.Admin.Tests.Zone;

public class OpenPgpKeyNameTests
{
    // RFC 7929 section 3's own example.
    [Fact]
    public void The_rfcs_example_hashes_as_the_rfc_says() =>
        Assert.Equal("c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6._openpgpkey.example.com", OpenPgpKeyName.For("hugh@example.com"));
}
