using System.Net;

namespace Mailseal.Greyd.Tests;

/// <summary>Keys as postgrey 1.37 writes them (checked against postgrey's code and NetAddr::IP's output).</summary>
public class GreylistKeysTests
{
    [Theory]
    [InlineData("prvs=0123456789=alice@example.org", "alice@example.org")] // BATV as specified
    [InlineData("prvs=alice=0123456789@example.org", "alice@example.org")] // the reversed form met in the wild
    [InlineData("prvs=abcdefghij=0123456789@example.org", "#@example.org")] // both look like tags: the standard place
    [InlineData("list+bounces-12345@example.org", "list@example.org")]
    [InlineData("bounce-123-456@example.org", "bounce-#-#@example.org")]
    [InlineData("abc123@example.org", "abc123@example.org")] // digits inside a word stay
    [InlineData("", "")] // the null sender
    [InlineData("MAILER-DAEMON", "MAILER-DAEMON")]
    public void Senders_are_normalised_as_postgrey_does(string sender, string expected) =>
        Assert.Equal(expected, GreylistKeys.NormalizeSender(sender));

    [Fact]
    public void The_triplet_is_the_lower_cased_network_sender_and_recipient()
    {
        var keys = new GreylistKeys(lookupByHost: false, 24, 64, privacy: false);
        Assert.Equal("192.0.2.0/list@example.org/bob@example.test", keys.Triplet(IPAddress.Parse("192.0.2.77"), "List+x@Example.ORG", "Bob@example.test"));
        Assert.Equal("2001:db8:0:0:0:0:0:0/a@b.example/c@d.example", keys.Triplet(IPAddress.Parse("2001:db8::1:2"), "a@b.example", "c@d.example"));
        Assert.Equal("192.0.2.0//c@d.example", keys.Triplet(IPAddress.Parse("::ffff:192.0.2.9"), "", "c@d.example"));
    }

    [Fact]
    public void Lookup_by_host_and_other_prefixes_change_the_client_part()
    {
        Assert.Equal("192.0.2.77", new GreylistKeys(true, 24, 64, false).ClientNetwork(IPAddress.Parse("192.0.2.77")));
        Assert.Equal("192.0.0.0", new GreylistKeys(false, 16, 64, false).ClientNetwork(IPAddress.Parse("192.0.2.77")));
        Assert.Equal("2001:DB8:AB00:0:0:0:0:0", new GreylistKeys(false, 24, 40, false).ClientNetwork(IPAddress.Parse("2001:db8:abcd::1")));
    }

    [Fact]
    public void Privacy_stores_sha1_hex_of_the_keys()
    {
        var keys = new GreylistKeys(false, 24, 64, privacy: true);
        // The independent oracle: coreutils' sha1sum.
        Assert.Equal(Sha1("192.0.2.0/a@b.example/c@d.example"), keys.Triplet(IPAddress.Parse("192.0.2.1"), "a@b.example", "c@d.example"));
        Assert.Equal(Sha1("192.0.2.1"), keys.Client(IPAddress.Parse("192.0.2.1")));
    }

    private static string Sha1(string text)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("sha1sum") { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Write(text);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Split(' ')[0];
    }
}
