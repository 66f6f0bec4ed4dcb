using System.Net;

namespace Mailseal.Greyd.Tests;

/// <summary>postgrey's whitelist formats, and Debian's own files loaded unchanged.</summary>
public class WhitelistTests
{
    private const string DebianClients = "/etc/postgrey/whitelist_clients";
    private const string DebianRecipients = "/etc/postgrey/whitelist_recipients";

    [Fact]
    public void Debians_whitelist_files_load_without_a_warning()
    {
        Assert.True(File.Exists(DebianClients), $"{DebianClients} is missing: tools/install-deps.sh installs the postgrey package");
        var clients = new ClientWhitelist();
        clients.Load(DebianClients, File.ReadAllText(DebianClients));
        Assert.Empty(clients.Warnings);
        Assert.True(clients.Count > 100, $"only {clients.Count} entries");
        Assert.True(clients.Contains("bendel.debian.org", IPAddress.Parse("192.0.2.1")));
        Assert.True(clients.Contains("debian.org", IPAddress.Parse("192.0.2.1")));
        Assert.False(clients.Contains("notdebian.org", IPAddress.Parse("192.0.2.1")));

        var recipients = new RecipientWhitelist();
        recipients.Load(DebianRecipients, File.ReadAllText(DebianRecipients));
        Assert.Empty(recipients.Warnings);
        Assert.True(recipients.Contains("postmaster@example.test"));
        Assert.True(recipients.Contains("Abuse+spam@example.test"));
        Assert.False(recipients.Contains("bob@example.test"));
    }

    [Fact]
    public void Client_entries_match_names_addresses_networks_and_regexes()
    {
        var w = new ClientWhitelist();
        w.Load("test", """
            # comment
            mail.example.org   # trailing comment
            192.0.2.7
            198.51.100.0/25
            203.0.113
            10.20
            2001:db8:1::/48
            /^smtp[0-9]+\.example\.net$/
            """);
        Assert.Empty(w.Warnings);
        var any = IPAddress.Parse("192.0.2.99");
        Assert.True(w.Contains("mail.example.org", any));
        Assert.True(w.Contains("out.MAIL.example.org", any));
        Assert.False(w.Contains("xmail.example.org", any));
        Assert.True(w.Contains("unknown", IPAddress.Parse("192.0.2.7")));
        Assert.True(w.Contains("unknown", IPAddress.Parse("::ffff:192.0.2.7")));
        Assert.True(w.Contains("unknown", IPAddress.Parse("198.51.100.127")));
        Assert.False(w.Contains("unknown", IPAddress.Parse("198.51.100.128")));
        Assert.True(w.Contains("unknown", IPAddress.Parse("203.0.113.200")));
        Assert.True(w.Contains("unknown", IPAddress.Parse("10.20.30.40")));
        Assert.True(w.Contains("unknown", IPAddress.Parse("2001:db8:1:ffff::5")));
        Assert.False(w.Contains("unknown", IPAddress.Parse("2001:db8:2::5")));
        Assert.True(w.Contains("SMTP12.example.net", any));
        Assert.False(w.Contains("smtp12.example.net.evil", any));
        Assert.False(w.Contains("unknown", any));
    }

    [Fact]
    public void Network_entries_keep_postgreys_reading_of_mapped_forms_and_host_bits()
    {
        // AddressRange (Mailseal.Core.Net) does the matching: an IPv4-mapped entry is the IPv4
        // network of its last 32 bits, a client in either form matches, host bits are ignored.
        var w = new ClientWhitelist();
        w.Load("test", "::ffff:198.18.0.0/111\n192.0.2.77/26\n2001:db8::1/127\n::ffff:203.0.113.9\n");
        Assert.Empty(w.Warnings);
        Assert.True(w.Contains("unknown", IPAddress.Parse("198.19.255.255"))); // /111 = IPv4 /15
        Assert.True(w.Contains("unknown", IPAddress.Parse("::ffff:198.18.4.4")));
        Assert.False(w.Contains("unknown", IPAddress.Parse("198.20.0.1")));
        Assert.True(w.Contains("unknown", IPAddress.Parse("192.0.2.64"))); // 192.0.2.77/26 is 192.0.2.64-127
        Assert.True(w.Contains("unknown", IPAddress.Parse("192.0.2.127")));
        Assert.False(w.Contains("unknown", IPAddress.Parse("192.0.2.128")));
        Assert.True(w.Contains("unknown", IPAddress.Parse("2001:db8::")));
        Assert.False(w.Contains("unknown", IPAddress.Parse("2001:db8::2")));
        Assert.True(w.Contains("unknown", IPAddress.Parse("203.0.113.9")));
        Assert.False(w.Contains("unknown", IPAddress.Parse("::203.0.113.9"))); // IPv4-compatible is not mapped
    }

    [Fact]
    public void Bad_client_entries_are_warned_about_and_skipped()
    {
        var w = new ClientWhitelist();
        w.Load("f", "two words\n/[unclosed/\n300.1.2.3.4\n");
        Assert.Equal(3, w.Warnings.Count);
        Assert.Equal("f line 1: doesn't look like a hostname", w.Warnings[0]);
    }

    [Fact]
    public void Recipient_entries_follow_access5_style()
    {
        var w = new RecipientWhitelist();
        w.Load("r", "example.org\nbob@example.test\nabuse@\n/^list-.*@lists\\.example$/\n");
        Assert.True(w.Contains("x@example.org"));
        Assert.True(w.Contains("x@sub.example.org"));
        Assert.False(w.Contains("x@badexample.org"));
        Assert.True(w.Contains("bob@example.test"));
        Assert.True(w.Contains("BOB+tag@Example.test"));
        Assert.False(w.Contains("bobby@example.test"));
        Assert.False(w.Contains("bob@other.test"));
        Assert.True(w.Contains("abuse@anything.example"));
        Assert.True(w.Contains("list-dev@lists.example"));
    }
}
