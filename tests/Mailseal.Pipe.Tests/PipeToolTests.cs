using System.Diagnostics;
using Mailseal.Testing;

namespace Mailseal.Pipe.Tests;

/// <summary>
/// mailseal-pipe run as a process with the argv pipe(8) gives it. Re-injection goes to a
/// stand-in "sendmail -bs" script that records the dialogue (the end-to-end suite uses the
/// real Postfix).
/// </summary>
public sealed class PipeToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mailseal-pipe").FullName;
    private readonly string _sendmail;
    private readonly string _got;
    private readonly string _log;

    public PipeToolTests()
    {
        _sendmail = Path.Combine(_dir, "sendmail");
        _got = Path.Combine(_dir, "got");
        _log = Path.Combine(_dir, "log");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "stub-sendmail-bs.sh"), _sendmail);
        File.SetUnixFileMode(_sendmail, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(PublishedTools.Path("mailseal-pipe")) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--sendmail-path", _sendmail, "--spam-check", "false", "--key-dir", Path.Combine(_dir, "keys"),
                     "--local-domains", "example.org", "--syslog-socket", _log }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private const string Message = "From: carol@example.com\nTo: dave@example.net\nSubject: s\n\nbody\n";

    [Fact]
    public async Task The_shipped_argv_reinjects_with_the_envelope_sender()
    {
        var (exit, stdout, stderr) = await RunAsync(Message, "-q", "4FzQ1", "-f", "carol@example.com", "--", "dave@example.net");
        Assert.True(exit == 0, stderr);
        Assert.Equal("", stdout);
        string got = File.ReadAllText(_got);
        Assert.Contains("MAIL FROM:<carol@example.com> BODY=8BITMIME\nRCPT TO:<dave@example.net>\nDATA\nFrom: carol@example.com\n", got, StringComparison.Ordinal);
        Assert.Contains("\nbody\n.\nQUIT", got, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_copy_is_one_syslog_line_in_postfixs_shape()
    {
        using var syslog = new SyslogListener(_log);
        var (exit, _, stderr) = await RunAsync(Message, "-q", "4FzQ1", "-f", "carol@example.com", "--", "dave@example.net");
        Assert.True(exit == 0, stderr);
        // No quotes around the text (Serilog's default rendering of a string): a grep or
        // pflogsumm rule written for Postfix's own lines must match ours.
        Assert.Matches(SyslogListener.LinePrefixPattern("mailseal-pipe") + "4FzQ1: to=<dave@example\\.net>, action=passed[^\"]*$", Assert.Single(syslog.Drain()));
    }

    [Fact]
    public async Task The_tutorials_argv_and_the_null_sender_work()
    {
        var (exit, _, stderr) = await RunAsync(Message, "-oi", "-f", "", "dave@example.net");
        Assert.True(exit == 0, stderr);
        Assert.Contains("MAIL FROM:<> BODY=8BITMIME\nRCPT TO:<dave@example.net>", File.ReadAllText(_got), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_recipient_is_one_line_and_tempfail()
    {
        var (exit, stdout, stderr) = await RunAsync(Message, "-f", "carol@example.com");
        Assert.Equal(75, exit);
        Assert.Equal("", stdout);
        Assert.Equal("4.3.5 mailseal-pipe: no recipient given (the pipe command must end with ${recipient})", stderr.TrimEnd('\n'));
        Assert.False(File.Exists(_got));
    }

    [Fact]
    public async Task An_unknown_flag_is_never_taken_for_a_recipient()
    {
        var (exit, _, stderr) = await RunAsync(Message, "--bogus", "dave@example.net");
        Assert.Equal(75, exit);
        Assert.StartsWith("4.3.5 mailseal-pipe: ", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_got));
    }

    [Fact]
    public async Task A_local_recipient_without_a_key_defers()
    {
        var (exit, _, stderr) = await RunAsync(Message, "-f", "carol@example.com", "--", "alice@example.org");
        Assert.Equal(75, exit);
        Assert.StartsWith("4.7.5 mailseal-pipe: ", stderr, StringComparison.Ordinal);
        Assert.Contains("alice@example.org", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.False(File.Exists(_got));
    }

    [Fact]
    public async Task Sendmail_failing_is_a_tempfail()
    {
        File.WriteAllText(_sendmail, "#!/bin/sh\necho 'sendmail: fatal: queue file write error' >&2\nexit 75\n");
        var (exit, _, stderr) = await RunAsync(Message, "-f", "carol@example.com", "--", "dave@example.net");
        Assert.Equal(75, exit);
        Assert.StartsWith("4.3.0 mailseal-pipe: ", stderr, StringComparison.Ordinal);
        Assert.Contains("queue file write error", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_its_man_page_with_the_postfix_lines_and_the_spam_headers()
    {
        var (exit, page, stderr) = await RunAsync("", "--generate-man-page");
        Assert.True(exit == 0, stderr);
        Assert.Contains(".TH", page, StringComparison.Ordinal);
        Assert.Contains("spam\\-unavailable", page, StringComparison.Ordinal);
        Assert.Contains("mailseal\\-pipe_destination_recipient_limit = 1", page, StringComparison.Ordinal);
        Assert.Contains("X\\-Spam\\-Flag: YES", page, StringComparison.Ordinal);
    }

    [Fact]
    public void The_classify_limit_reaches_the_encryption_options()
    {
        using var none = new MemoryStream();
        var command = new PipeCommand(new Mailseal.Core.Cli.ToolContext(none, none, TextWriter.Null));

        var options = command.BuildOptions(command.Root.Parse(["--classify-limit", "123456", "dave@example.org"]));
        var defaults = command.BuildOptions(command.Root.Parse(["dave@example.org"]));

        Assert.Equal(123456, options.Encryption.Limits.MaxClassifyBytes);
        Assert.Equal(123456, options.Limits.MaxClassifyBytes);
        Assert.Equal(Mailseal.Core.Mime.MimeLimits.Default.MaxClassifyBytes, defaults.Limits.MaxClassifyBytes);
    }

    [Fact]
    public async Task A_negative_classify_limit_is_one_line_and_tempfail()
    {
        var (exit, stdout, stderr) = await RunAsync(Message, "--classify-limit", "-1", "dave@example.org");
        Assert.Equal(75, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("4.3.5 mailseal-pipe: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("")]
    [InlineData("dave")]
    [InlineData("dave@")]
    public async Task An_empty_or_malformed_recipient_is_one_line_and_tempfail_never_plaintext(string recipient)
    {
        var (exit, stdout, stderr) = await RunAsync(Message, "-f", "carol@example.com", "--", "dave@example.net", recipient);
        Assert.Equal(75, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("4.3.5 mailseal-pipe: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.False(File.Exists(_got));
    }

    [Theory]
    [InlineData("bob@mäil.example")]
    [InlineData("bob@xn--mil-qla.example")]
    public async Task A_unicode_domain_finds_the_key_installed_under_the_a_label(string recipient)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "keys"));
        File.Copy(Path.Combine(RepositoryRoot(), "examples", "keys", "alice@example.org.asc"), Path.Combine(_dir, "keys", "bob@xn--mil-qla.example.asc"));
        // Postfix's sendmail -bs offers SMTPUTF8 with smtputf8_enable = yes; the stub learns to say so.
        File.WriteAllText(_sendmail, File.ReadAllText(_sendmail).Replace("250-stub\\r\\n", "250-stub\\r\\n250-SMTPUTF8\\r\\n", StringComparison.Ordinal));
        var (exit, _, stderr) = await RunAsync("From: carol@example.com\nTo: bob@mäil.example\nSubject: s\n\nMARKER-7f3a9c\n", "-f", "carol@example.com", "--", recipient);
        Assert.True(exit == 0, stderr);
        string got = File.ReadAllText(_got);
        Assert.Contains("-----BEGIN PGP MESSAGE-----", got, StringComparison.Ordinal);
        Assert.DoesNotContain("MARKER-7f3a9c", got, StringComparison.Ordinal);
    }

    private void InstallKey(string name)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "keys"));
        File.Copy(Path.Combine(RepositoryRoot(), "examples", "keys", "alice@example.org.asc"), Path.Combine(_dir, "keys", name), overwrite: true);
    }

    private void OfferSmtpUtf8() =>
        File.WriteAllText(_sendmail, File.ReadAllText(_sendmail).Replace("250-stub\\r\\n", "250-stub\\r\\n250-SMTPUTF8\\r\\n", StringComparison.Ordinal));

    [Theory]
    [InlineData("From: carol@example.com\rTo: alice@example.org\rSubject: s\r\rMARKER-7f3a9c body\r")]
    [InlineData("From: carol@example.com\nSubject: s\nX-Note: a\rMARKER-7f3a9c body\n\nbody\n")]
    public async Task Bare_cr_line_ends_are_encrypted_with_no_body_text_in_the_clear(string message)
    {
        // issue #10 case 1 through mailseal-pipe: a CR-aware reader would show the marker as body text.
        InstallKey("alice@example.org.asc");
        var (exit, _, stderr) = await RunAsync(message, "-f", "carol@example.com", "--", "alice@example.org");
        Assert.True(exit == 0, stderr);
        string got = File.ReadAllText(_got);
        Assert.Contains("-----BEGIN PGP MESSAGE-----", got, StringComparison.Ordinal);
        Assert.DoesNotContain("MARKER-7f3a9c", got, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("base64")]
    [InlineData("checksum-and-comment")]
    public async Task Plaintext_dressed_as_ciphertext_is_encrypted_not_passed(string kind)
    {
        // issue #10 case 4 through mailseal-pipe: armor that decodes to no encrypted message is plaintext.
        InstallKey("alice@example.org.asc");
        string secret = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("MARKER-7f3a9c the plan is on"));
        string armor = kind == "base64"
            ? "-----BEGIN PGP MESSAGE-----\n\n" + secret + "\n-----END PGP MESSAGE-----\n"
            : "-----BEGIN PGP MESSAGE-----\nComment: MARKER-7f3a9c meet at noon\n\n=abcd\n-----END PGP MESSAGE-----\n";
        var (exit, _, stderr) = await RunAsync("From: carol@example.com\nSubject: s\n\n" + armor, "-f", "carol@example.com", "--", "alice@example.org");
        Assert.True(exit == 0, stderr);
        string got = File.ReadAllText(_got);
        Assert.Contains("multipart/encrypted", got, StringComparison.Ordinal);
        Assert.DoesNotContain("MARKER-7f3a9c", got, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, got, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bob@mä\u00ADil.example")]
    [InlineData("bob@\u2603.example")]
    public async Task A_domain_that_fails_idna_is_one_4_3_5_line_and_tempfail(string recipient)
    {
        var (exit, stdout, stderr) = await RunAsync(Message, "-f", "carol@example.com", "--", recipient);
        Assert.Equal(75, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("4.3.5 mailseal-pipe: ", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_got));
    }

    [Fact]
    public async Task A_spelling_postfix_casefolds_finds_the_key_of_the_address_postfix_delivers_to()
    {
        // Postfix (smtputf8_enable = yes) delivers bob@faß.example to bob@fass.example's mailbox.
        InstallKey("bob@fass.example.asc");
        OfferSmtpUtf8();
        var (exit, _, stderr) = await RunAsync("From: carol@example.com\nSubject: s\n\nMARKER-7f3a9c\n", "-f", "carol@example.com", "--", "bob@faß.example");
        Assert.True(exit == 0, stderr);
        string got = File.ReadAllText(_got);
        Assert.Contains("-----BEGIN PGP MESSAGE-----", got, StringComparison.Ordinal);
        Assert.DoesNotContain("MARKER-7f3a9c", got, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_file_that_is_a_fifo_is_one_line_and_tempfail_at_once()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "keys"));
        using (var mk = Process.Start("mkfifo", [Path.Combine(_dir, "keys", "alice@example.org.asc")]))
            await mk.WaitForExitAsync();
        var (exit, _, stderr) = await RunAsync(Message, "-f", "carol@example.com", "--", "alice@example.org");
        Assert.Equal(75, exit);
        Assert.StartsWith("4.3.5 mailseal-pipe: ", stderr, StringComparison.Ordinal);
        Assert.Contains("FIFO", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_got));
    }

    /// <summary>
    /// issue #10 case 5 through mailseal-pipe: the key folder on a FUSE file system whose reads
    /// never return (a hung NFS server). pipe(8) would otherwise hold the process until
    /// command_time_limit (1000 s); the tool defers at --key-read-timeout instead.
    /// </summary>
    [Fact]
    public async Task A_key_file_whose_read_hangs_is_given_up_at_the_key_read_timeout()
    {
        await using var hung = await HangingFileSystem.MountAsync(Path.Combine(_dir, "keys"));
        var clock = Stopwatch.StartNew();
        var (exit, stdout, stderr) = await RunAsync(Message, "--key-read-timeout", "2", "-f", "carol@example.com", "--", "alice@example.org");
        clock.Stop();
        Assert.Equal(75, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("4.4.3 mailseal-pipe: ", stderr, StringComparison.Ordinal);
        Assert.Contains("no answer within 2 s", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(30));
        Assert.False(File.Exists(_got));
    }

    /// <summary>
    /// Forms Postfix's resolver delivers to alice@example.org's mailbox: routed through a domain
    /// of its own (mydestination, an address literal of its interface), a quoted local part, a
    /// trailing dot. Before the fix the routed ones were "not local" and re-injected in plaintext.
    /// </summary>
    [Theory]
    [InlineData("alice%example.org@localhost")]
    [InlineData("alice@example.org@localhost")]
    [InlineData("example.org!alice@localhost")]
    [InlineData("alice@example.org@[127.0.0.1]")]
    [InlineData("\"alice\"@example.org")]
    [InlineData("alice@example.org.")]
    public async Task A_form_postfix_delivers_to_a_local_mailbox_is_encrypted(string recipient)
    {
        InstallKey("alice@example.org.asc");
        var (exit, _, stderr) = await RunAsync("From: carol@example.com\nSubject: s\n\nMARKER-7f3a9c\n", "-f", "carol@example.com", "--", recipient);
        Assert.True(exit == 0, stderr);
        string got = File.ReadAllText(_got);
        Assert.Contains("-----BEGIN PGP MESSAGE-----", got, StringComparison.Ordinal);
        Assert.DoesNotContain("MARKER-7f3a9c", got, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Toolkit.sln")))
                return d.FullName;
        }

        throw new Xunit.Sdk.XunitException("Toolkit.sln not found above " + AppContext.BaseDirectory);
    }
}
