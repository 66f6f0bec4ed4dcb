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

    /// <summary>
    /// A key file on a hung file system (issue #10 case 5): a FUSE file system whose read(2), or
    /// open(2), never returns stands in for an NFS server gone away. The tool gives up at
    /// --key-read-timeout with one 4.4.3 line and exit 75; without the limit it waited until the
    /// test's 60 s timeout (pipe(8): command_time_limit, 1000 s).
    /// </summary>
    [Fact]
    public async Task A_key_file_whose_read_hangs_is_given_up_at_the_key_read_timeout_with_one_line_and_exit_75()
    {
        const string recipient = "alice@example.org";
        await using var hung = await HangingFileSystem.MountAsync(Path.Combine(keys.Dir, "hung-" + Guid.NewGuid().ToString("N")[..8]));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = await ToolProcess.RunToolAsync(["--key-dir", hung.MountPoint, "--config", keys.EmptyConfig, "--key-read-timeout", "2", recipient], Message);
        clock.Stop();
        AssertOneLineFailure(r, "4.4.3", "no answer within 2 s");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// open(2) hung inside the file system: once the FUSE server has taken the request, the
    /// kernel waits for its answer even for a killed thread, so the process can finish its exit
    /// only when the file system answers or goes away (a hard NFS mount behaves alike). The tool
    /// still gives up at the limit: its one 4.4.3 line is written then, and exit 75 follows as
    /// soon as the file system lets the stuck thread go.
    /// </summary>
    [Fact]
    public async Task A_key_file_whose_open_hangs_gets_the_4_4_3_line_at_the_limit_and_exit_75_once_the_file_system_lets_go()
    {
        var hung = await HangingFileSystem.MountAsync(Path.Combine(keys.Dir, "hung-" + Guid.NewGuid().ToString("N")[..8]));
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo(ToolProcess.ToolPath)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in new[] { "--key-dir", hung.MountPoint, "--config", keys.EmptyConfig, "--key-read-timeout", "2", "hang-open@example.org" })
                start.ArgumentList.Add(a);
            start.Environment["HOME"] = Path.GetTempPath();
            using var tool = System.Diagnostics.Process.Start(start)!;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var stdout = tool.StandardOutput.ReadToEndAsync();
            await tool.StandardInput.BaseStream.WriteAsync(Message);
            tool.StandardInput.Close();
            var line = await tool.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(30));
            Assert.NotNull(line);
            Assert.StartsWith("4.4.3 mailseal-encrypt: ", line, StringComparison.Ordinal);
            Assert.Contains("no answer within 2 s", line, StringComparison.Ordinal);

            await hung.DisposeAsync(); // the file system goes away: the stuck open(2) fails, the exit completes
            await tool.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(75, tool.ExitCode);
            Assert.Equal("", await stdout);
            Assert.Equal("", await tool.StandardError.ReadToEndAsync());
        }
        finally
        {
            await hung.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_key_read_timeout_is_the_configuration_name_key_read_timeout()
    {
        await using var hung = await HangingFileSystem.MountAsync(Path.Combine(keys.Dir, "hung-" + Guid.NewGuid().ToString("N")[..8]));
        var config = Path.Combine(keys.Dir, "hung-" + Guid.NewGuid().ToString("N")[..8] + ".conf");
        await File.WriteAllTextAsync(config, $"key_dir = {hung.MountPoint}\n\n[encrypt]\nkey_read_timeout = 1\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = await ToolProcess.RunToolAsync(["--config", config, "alice@example.org"], Message);
        clock.Stop();
        AssertOneLineFailure(r, "4.4.3", "no answer within 1 s");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("3601")]
    public async Task A_key_read_timeout_out_of_range_is_one_line_and_exit_75(string seconds)
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--key-read-timeout", seconds, "alice@example.org"], Message);
        Assert.Equal(75, r.Exit);
        Assert.Empty(r.Stdout);
        Assert.Contains("--key-read-timeout", Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    /// <summary>
    /// Forms Postfix delivers to alice@example.org's mailbox (issue #10, beyond case 3): one
    /// trailing dot (cleanup strips it), a quoted local part, a source route (cleanup strips
    /// it), and routing through a domain that is Postfix's own (mydestination, an address
    /// literal of its interface): its resolver strips that domain and reads the local part as
    /// user@domain, domain!user (swap_bangpath) or user%domain (allow_percent_hack). Before the
    /// fix the routed forms were "not local" and passed in plaintext.
    /// </summary>
    [Theory]
    [InlineData("alice@example.org.")]
    [InlineData("alice@EXAMPLE.org.")]
    [InlineData("\"alice\"@example.org")]
    [InlineData("@a.example,@b.example:alice@example.org")]
    [InlineData("alice%example.org@localhost")]
    [InlineData("alice@example.org@localhost")]
    [InlineData("\"alice@example.org\"@localhost")]
    [InlineData("example.org!alice@localhost")]
    [InlineData("alice@example.org@[127.0.0.1]")]
    [InlineData("alice%example.org@mail.example.net.")]
    public async Task A_form_postfix_delivers_to_a_local_mailbox_is_encrypted_to_that_mailboxs_key(string recipient)
    {
        AssertEncryptedWithoutMarker(await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", "--", recipient], Message));
    }

    [Theory]
    [InlineData("carol%example.org@localhost", "no key for carol@example.org")]
    [InlineData("carol@example.org@[127.0.0.1]", "no key for carol@example.org")]
    [InlineData("carol@example.org.", "no key for carol@example.org")]
    public async Task A_routed_form_of_a_local_address_without_a_key_is_deferred_not_passed(string recipient, string reason)
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", "--", recipient], Message);
        AssertOneLineFailure(r, "4.7.5", reason);
    }

    [Theory]
    [InlineData("alice@example.org..")]
    [InlineData("alice@.example.org")]
    [InlineData("alice@example..org")]
    public async Task A_domain_with_an_empty_label_is_a_4_3_5_tempfail_never_plaintext(string recipient)
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", "--", recipient], Message);
        AssertOneLineFailure(r, "4.3.5");
    }

    [Theory]
    [InlineData("someone%elsewhere.example@localhost")]
    [InlineData("someone@[192.0.2.1]")]
    [InlineData("elsewhere.example!someone@localhost")]
    public async Task A_routed_form_of_an_address_that_is_not_local_passes_unchanged(string recipient)
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", "--", recipient], Message);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(Message, r.Stdout);
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
