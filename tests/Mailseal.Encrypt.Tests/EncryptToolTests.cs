using System.Text;
using Mailseal.Testing;

namespace Mailseal.Encrypt.Tests;

/// <summary>mailseal-encrypt as Postfix's pipe(8) and a shell see it: a real process, real keys, gpg decrypting.</summary>
public sealed class EncryptToolTests(ToolKeys keys) : IClassFixture<ToolKeys>
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes(
        "From: Bob <bob@example.net>\nTo: alice@example.org\nSubject: hello\nDKIM-Signature: v=1; d=example.net; b=abc\n"
        + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGrüße, Alice.\n");

    private string[] Base => ["--key-dir", keys.KeyDir, "--config", keys.EmptyConfig];

    private static void AssertOneLineFailure(ToolProcess.Result r, int exit, string status)
    {
        Assert.Equal(exit, r.Exit);
        Assert.Empty(r.Stdout);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith(status + " mailseal-encrypt: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_recipient_is_one_4_3_5_line_nothing_on_stdout_and_exit_75()
    {
        var r = await ToolProcess.RunToolAsync(["--key-dir", keys.KeyDir, "--config", keys.EmptyConfig], Message);
        AssertOneLineFailure(r, 75, "4.3.5");
        Assert.Contains("no recipient", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_recipient_with_a_key_gets_pgp_mime_that_gpg_decrypts_to_the_original_content()
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "Alice+Lists@Example.ORG"], Message);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal("", r.Stderr);
        var text = Encoding.UTF8.GetString(r.Stdout);
        Assert.StartsWith("From: Bob <bob@example.net>\nTo: alice@example.org\nSubject: hello\nX-Original-DKIM-Signature: v=1; d=example.net; b=abc\nMIME-Version: 1.0\nContent-Type: multipart/encrypted;", text, StringComparison.Ordinal);
        var begin = text.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        var end = text.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal) + 25;
        var plain = await keys.Gpg(["--decrypt"], Encoding.ASCII.GetBytes(text[begin..end] + "\n"));
        Assert.Equal("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGrüße, Alice.\n", Encoding.UTF8.GetString(plain.Stdout));
    }

    [Fact]
    public async Task Already_encrypted_mail_passes_unchanged_within_and_beyond_the_classify_limit()
    {
        var first = await ToolProcess.RunToolAsync([.. Base, "alice@example.org"], Message);
        Assert.True(first.Exit == 0, first.Stderr);
        var encrypted = first.Stdout;

        foreach (var limit in new[] { "1000000", "100", "0" })
        {
            var again = await ToolProcess.RunToolAsync([.. Base, "--classify-limit", limit, "alice@example.org"], encrypted);
            Assert.True(again.Exit == 0, again.Stderr);
            Assert.Equal(encrypted, again.Stdout);
        }
    }

    [Fact]
    public async Task A_recipient_that_is_not_local_passes_unchanged()
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", "someone@elsewhere.example"], Message);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(Message, r.Stdout);
    }

    [Theory]
    [InlineData("nokey@example.org", "no key for nokey@example.org")]
    [InlineData("old@example.org", "expired on 2020-01-02")]
    [InlineData("signer@example.org", "sign-only")]
    [InlineData("broken@example.org", "broken@example.org.asc")]
    public async Task A_local_recipient_without_a_usable_key_is_a_tempfail_with_the_reason(string rcpt, string reason)
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", rcpt], Message);
        AssertOneLineFailure(r, 75, "4.7.5");
        Assert.Contains(reason, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_key_bounce_exits_67_with_a_5_7_5_line()
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", "--missing-key", "bounce", "nokey@example.org"], Message);
        AssertOneLineFailure(r, 67, "5.7.5");
    }

    [Fact]
    public async Task Missing_key_pass_passes_the_message_unchanged()
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", "--missing-key", "pass", "nokey@example.org"], Message);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(Message, r.Stdout);
    }

    [Fact]
    public async Task One_keyless_local_recipient_defers_the_whole_message_even_when_another_has_a_key()
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--local-domains", "example.org", "alice@example.org", "nokey@example.org"], Message);
        AssertOneLineFailure(r, 75, "4.7.5");
    }

    [Theory]
    [InlineData("--dkim-signature", "sideways")]
    [InlineData("--missing-key", "maybe")]
    [InlineData("--classify-limit", "-1")]
    [InlineData("--no-such-option", "x")]
    public async Task A_bad_option_is_one_line_and_exit_75(string option, string value)
    {
        var r = await ToolProcess.RunToolAsync([.. Base, option, value, "alice@example.org"], Message);
        AssertOneLineFailure(r, 75, "4.3.5");
    }

    [Fact]
    public async Task An_unreadable_config_file_is_one_line_and_exit_75()
    {
        var r = await ToolProcess.RunToolAsync(["--config", Path.Combine(keys.Dir, "missing", "mailseal.conf"), "alice@example.org"], Message);
        AssertOneLineFailure(r, 75, "4.3.5");
    }

    [Fact]
    public async Task The_config_file_names_the_key_folder_and_local_domains()
    {
        var conf = Path.Combine(keys.Dir, "mailseal.conf");
        await File.WriteAllTextAsync(conf, $"key_dir = {keys.KeyDir}\nlocal_domains = example.org\n[encrypt]\ndkim_signature = drop\n");
        var r = await ToolProcess.RunToolAsync(["--config", conf, "alice@example.org"], Message);
        Assert.True(r.Exit == 0, r.Stderr);
        var text = Encoding.UTF8.GetString(r.Stdout);
        Assert.Contains("multipart/encrypted", text, StringComparison.Ordinal);
        Assert.DoesNotContain("DKIM-Signature", text, StringComparison.Ordinal);
        var r2 = await ToolProcess.RunToolAsync(["--config", conf, "nokey@example.org"], Message);
        AssertOneLineFailure(r2, 75, "4.7.5");
    }

    [Fact]
    public async Task Already_encrypted_input_passes_byte_identical()
    {
        var encrypted = (await ToolProcess.RunToolAsync([.. Base, "alice@example.org"], Message)).Stdout;
        var r = await ToolProcess.RunToolAsync([.. Base, "alice@example.org"], encrypted);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(encrypted, r.Stdout);
    }

    [Fact]
    public async Task Hide_subject_puts_dots_outside_and_the_subject_inside()
    {
        var r = await ToolProcess.RunToolAsync([.. Base, "--hide-subject", "alice@example.org"], Message);
        Assert.True(r.Exit == 0, r.Stderr);
        var text = Encoding.UTF8.GetString(r.Stdout);
        Assert.Contains("\nSubject: ...\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hello", text, StringComparison.Ordinal);
        var begin = text.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        var end = text.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal) + 25;
        var inner = Encoding.UTF8.GetString((await keys.Gpg(["--decrypt"], Encoding.ASCII.GetBytes(text[begin..end] + "\n"))).Stdout);
        Assert.Contains("Subject: hello\n", inner, StringComparison.Ordinal);
        Assert.Contains("HP-Outer: Subject: ...\n", inner, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; charset=utf-8; hp=\"cipher\"\n", inner, StringComparison.Ordinal);
        Assert.EndsWith("\n\nGrüße, Alice.\n", inner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_message_gives_one_syslog_line_with_queue_id_recipient_action_and_key()
    {
        using var syslog = new SyslogListener(Path.Combine(keys.Dir, "log-" + Guid.NewGuid().ToString("N")[..8]));
        var r = await ToolProcess.RunToolAsync([.. Base, "--syslog-socket", syslog.Path, "--queue-id", "4Xb2kQ1zZ9z9v", "alice@example.org"], Message);
        Assert.True(r.Exit == 0, r.Stderr);
        var lines = syslog.Drain();
        var line = Assert.Single(lines);
        // Postfix's shape exactly, no quotes around the text: facility mail, severity info.
        Assert.Matches(SyslogListener.LinePrefixPattern("mailseal-encrypt") +
            "4Xb2kQ1zZ9z9v: to=<alice@example\\.org>, action=encrypted \\(plaintext\\), key=" + keys.AliceFingerprint + ", size=[0-9]+$", line);

        var r2 = await ToolProcess.RunToolAsync([.. Base, "--syslog-socket", syslog.Path, "--local-domains", "example.org", "nokey@example.org"], Message);
        Assert.Equal(75, r2.Exit);
        Assert.Matches(SyslogListener.LinePrefixPattern("mailseal-encrypt", severity: 4) + "warning: NOQUEUE: to=<nokey@example\\.org>, action=tempfail \\(no key for nokey@example\\.org\\)$", Assert.Single(syslog.Drain()));
    }
}
