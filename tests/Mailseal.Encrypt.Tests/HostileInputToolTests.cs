using System.Text;

namespace Mailseal.Encrypt.Tests;

/// <summary>
/// mailseal-encrypt as an attacker or a careless admin would drive it (issue #10): odd line
/// ends, empty and malformed recipients, Unicode domains, plaintext dressed as ciphertext,
/// key files that are not files. Each must end in ciphertext or one 4.x.x line and exit 75.
/// </summary>
public sealed class HostileInputToolTests(ToolKeys keys) : IClassFixture<ToolKeys>
{
    private const string Marker = "MARKER-7f3a9c";

    private static readonly byte[] Message = Encoding.UTF8.GetBytes(
        "From: Bob <bob@example.net>\nTo: alice@example.org\nSubject: hello\n\n" + Marker + " body\n");

    private string[] Base => ["--key-dir", keys.KeyDir, "--config", keys.EmptyConfig];

    private static void AssertOneLineFailure(ToolProcess.Result r, string status, string? contains = null)
    {
        Assert.Equal(75, r.Exit);
        Assert.Empty(r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(status + " mailseal-encrypt: ", line, StringComparison.Ordinal);
        if (contains is not null)
            Assert.Contains(contains, line, StringComparison.Ordinal);
    }

    private static void AssertEncryptedWithoutMarker(ToolProcess.Result r)
    {
        Assert.True(r.Exit == 0, r.Stderr);
        var text = Encoding.Latin1.GetString(r.Stdout);
        Assert.Contains("-----BEGIN PGP MESSAGE-----", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("alice")]
    [InlineData("alice@")]
    [InlineData("@example.org")]
    public async Task An_empty_or_malformed_recipient_is_one_4_3_5_line_and_exit_75_never_plaintext(string recipient)
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", "--", recipient], Message);
        AssertOneLineFailure(r, "4.3.5");
    }

    [Fact]
    public async Task An_empty_recipient_next_to_a_good_one_is_the_same_mistake()
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "alice@example.org", ""], Message);
        AssertOneLineFailure(r, "4.3.5", "empty recipient");
    }

    [Theory]
    [InlineData("bob@mäil.example")]
    [InlineData("Bob@MÄIL.example")]
    [InlineData("bob@xn--mil-qla.example")]
    public async Task A_unicode_domain_finds_the_key_installed_under_the_a_label(string recipient)
    {
        var keyFile = Path.Combine(keys.KeyDir, "bob@xn--mil-qla.example.asc");
        if (!File.Exists(keyFile))
            File.Copy(Path.Combine(keys.KeyDir, "alice@example.org.asc"), keyFile);
        AssertEncryptedWithoutMarker(await ToolProcess.RunToolAsync([.. Base, recipient], Message));
    }

    [Theory]
    [InlineData("mäil.example")]
    [InlineData("xn--mil-qla.example")]
    public async Task A_unicode_recipient_of_a_local_domain_without_a_key_is_deferred(string localDomain)
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", localDomain, "carol@mäil.example"], Message);
        AssertOneLineFailure(r, "4.7.5", "no key for carol@xn--mil-qla.example");
    }

    [Theory]
    [InlineData("bob@mä\u00ADil.example")] // a soft hyphen: UTS #46 drops it, leaving the local mäil.example
    [InlineData("bob@mä\u200Bil.example")] // a zero-width space
    [InlineData("bob@\u2603.example")] // a symbol, valid in IDNA 2003 only
    [InlineData("bob@ma\u0308il.example")] // a decomposed ä (NFC would compose it)
    public async Task A_domain_that_fails_idna_is_a_4_3_5_tempfail_never_plaintext(string escaped)
    {
        string recipient = System.Text.RegularExpressions.Regex.Unescape(escaped);
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "mäil.example", "--", recipient], Message);
        AssertOneLineFailure(r, "4.3.5");
    }

    /// <summary>
    /// Postfix (smtputf8_enable = yes) casefolds before it compares: to it bob@faß.example is
    /// bob@fass.example, delivered to that mailbox (postmap -q shows it; the E2E test sends it).
    /// Before the fix Mailseal read faß.example as xn--fa-hia.example, "not local", and passed
    /// the message in plaintext.
    /// </summary>
    [Theory]
    [InlineData("bob@faß.example")]
    [InlineData("bob@FAẞ.example")]
    [InlineData("Boß@fass.example")]
    public async Task A_spelling_postfix_folds_to_a_local_domain_is_encrypted_to_the_key_of_the_address_it_delivers_to(string recipient)
    {
        var keyFile = Path.Combine(keys.KeyDir, recipient.StartsWith("Bo", StringComparison.Ordinal) && recipient[2] == 'ß' ? "boss@fass.example.asc" : "bob@fass.example.asc");
        if (!File.Exists(keyFile))
            File.Copy(Path.Combine(keys.KeyDir, "alice@example.org.asc"), keyFile);
        AssertEncryptedWithoutMarker(await ToolProcess.RunToolAsync([.. Base, "--local-domains", "fass.example", "--", recipient], Message));
    }

    [Fact]
    public async Task A_folded_spelling_of_a_local_domain_without_a_key_is_deferred_not_passed()
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "fass.example", "--", "carol@faß.example"], Message);
        AssertOneLineFailure(r, "4.7.5", "no key for carol@xn--fa-hia.example");
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("stdin")]
    [InlineData("zero")]
    public async Task A_key_file_that_is_not_a_regular_file_is_one_4_3_5_line_at_once(string kind)
    {
        var keyFile = Path.Combine(keys.KeyDir, kind + "@example.org.asc");
        if (!File.Exists(keyFile) && !Directory.Exists(keyFile))
        {
            switch (kind)
            {
                case "fifo":
                    var mk = await ToolProcess.RunAsync("/usr/bin/mkfifo", [keyFile], null, null);
                    Assert.Equal(0, mk.Exit);
                    break;
                case "stdin":
                    File.CreateSymbolicLink(keyFile, "/dev/stdin");
                    break;
                default:
                    File.CreateSymbolicLink(keyFile, "/dev/zero");
                    break;
            }
        }

        // Before the fix: the FIFO blocked until the 60 s test timeout, stdin ended in "Stream does
        // not support seeking", /dev/zero was "the key data is empty".
        var r = await ToolProcess.RunToolAsync([.. Base, kind + "@example.org"], Message);
        AssertOneLineFailure(r, "4.3.5", "not a regular file");
    }

    [Theory]
    [InlineData("From: Bob <bob@example.net>\rTo: alice@example.org\rSubject: hello\r\r" + Marker + " body\r")]
    [InlineData("From: Bob <bob@example.net>\r\nSubject: hello\r\r\n" + Marker + " body\r\n")]
    [InlineData("From: Bob <bob@example.net>\nSubject: hello\n" + Marker + ": x\rmore\n\nbody\n")]
    public async Task Bare_cr_line_ends_are_encrypted_with_no_body_text_in_the_clear(string message)
    {
        // Before the fix: exit 0, action=encrypted, and the whole message was its first outer header line.
        AssertEncryptedWithoutMarker(await ToolProcess.RunToolAsync([.. Base, "alice@example.org"], Encoding.Latin1.GetBytes(message)));
    }

    [Theory]
    [InlineData("preamble", "0")]
    [InlineData("preamble", "4194304")]
    [InlineData("comment", "0")]
    [InlineData("comment", "4194304")]
    [InlineData("base64", "0")]
    [InlineData("base64", "4194304")]
    public async Task Plaintext_dressed_as_ciphertext_is_encrypted_not_passed(string kind, string classifyLimit)
    {
        // A genuine message first: its armor is real ciphertext, then dressed up with plaintext.
        var first = await ToolProcess.RunToolAsync([.. Base, "alice@example.org"], Encoding.ASCII.GetBytes("From: a@example.net\nSubject: s\n\nhi\n"));
        Assert.True(first.Exit == 0, first.Stderr);
        var genuine = Encoding.ASCII.GetString(first.Stdout);
        var dressed = kind switch
        {
            "preamble" => genuine.Replace("This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n",
                "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n" + Marker + " meet at noon\n", StringComparison.Ordinal),
            "comment" => genuine.Replace("-----BEGIN PGP MESSAGE-----\n", "-----BEGIN PGP MESSAGE-----\nComment: " + Marker + "\n", StringComparison.Ordinal),
            _ => "From: a@example.net\nSubject: s\n\n-----BEGIN PGP MESSAGE-----\n\n"
                + Convert.ToBase64String(Encoding.ASCII.GetBytes(Marker + " the plan is on")) + "\n-----END PGP MESSAGE-----\n",
        };
        Assert.NotEqual(genuine, dressed);
        var r = await ToolProcess.RunToolAsync([.. Base, "--classify-limit", classifyLimit, "alice@example.org"], Encoding.ASCII.GetBytes(dressed));
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.NotEqual(Encoding.ASCII.GetBytes(dressed), r.Stdout);
        var text = Encoding.ASCII.GetString(r.Stdout);
        var lastBegin = text.LastIndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, text[..lastBegin], StringComparison.Ordinal);
    }
}
