using System.Text;
using Mailseal.Core;
using Mailseal.Core.Cli;
using Mailseal.Core.Keys;
using Mailseal.Pipeline.Processing;
using Mailseal.Pipeline.Scrub;
using Mailseal.Pipeline.Smtp;
using Mailseal.Pipeline.Spam;
using Mailseal.Testing;
using ProcessResult = Mailseal.Pipeline.Processing.ProcessResult;
using Mailseal.Pipeline.Tests.Spam;

namespace Mailseal.Pipeline.Tests.Processing;

/// <summary>
/// The pipe's whole path in-process: real keys (gpg-generated), the real encryptor, a recorded
/// spamd and a scripted smtpd that records every re-injected copy; gpg decrypts the result.
/// (The end-to-end suite runs the same through a real Postfix, spamd and Dovecot.)
/// </summary>
public class MessageProcessorTests : IDisposable
{
    private const string Original =
        "Received: from mx.example.com (mx.example.com [192.0.2.1])\r\n\tby mail.example.org (Postfix) with ESMTPS id 1\r\n" +
        "From: Carol <carol@example.com>\r\nTo: alice@example.org, bob@example.org, dave@example.net\r\n" +
        "Subject: lunch\r\nX-Spam-Flag: NO\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: 8bit\r\n\r\nShall we meet at noon? Café at the corner.\r\n.a line starting with a dot\r\n";

    private readonly TestGpg _alice = new();
    private readonly TestGpg _bob = new();
    private readonly InMemoryKeyDirectory _keys = new(new KeyDirectoryOptions { LocalDomains = ["example.org"] });

    public MessageProcessorTests()
    {
        _keys.AddKeyData("alice@example.org", _alice.GenerateKey("alice@example.org"));
        _keys.AddKeyData("bob@example.org", _bob.GenerateKey("bob@example.org"));
    }

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The processor under test; MailKitMessageProcessorTests runs the same cases with MailKit's SmtpClient re-injecting.</summary>
    private protected virtual MessageProcessor Create(PipeOptions options, IKeyDirectory keys) => new(options, keys);

    private protected PipeOptions Options(FakeSmtpServer smtp, FakeSpamd? spamd, Func<PipeOptions, PipeOptions>? change = null)
    {
        var o = new PipeOptions
        {
            SpamCheck = spamd is not null,
            Spamd = new SpamdClientOptions { Endpoint = spamd?.Endpoint ?? "inet:127.0.0.1:9", Timeout = TimeSpan.FromSeconds(10) },
            Reinject = new ReinjectorOptions { Mode = ReinjectionMode.Smtp, SmtpEndpoint = smtp.Endpoint, ReplyTimeout = TimeSpan.FromSeconds(20) },
        };
        return change is null ? o : change(o);
    }

    private protected Task<ProcessResult> RunAsync(PipeOptions options, string message, params string[] recipients) =>
        Create(options, _keys).ProcessAsync(new MemoryStream(Encoding.UTF8.GetBytes(message)), "carol@example.com", recipients, CancellationToken.None);

    private static byte[] Armored(string smtpData)
    {
        int start = smtpData.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        int end = smtpData.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "no armored PGP message in: " + smtpData[..Math.Min(400, smtpData.Length)]);
        return Encoding.ASCII.GetBytes(smtpData[start..(end + 25)] + "\n");
    }

    private static FakeSmtpServer.Session SessionFor(FakeSmtpServer smtp, string rcpt) =>
        smtp.Sessions.Single(s => s.Commands.Contains($"RCPT TO:<{rcpt}>"));

    [Fact]
    public async Task Each_local_copy_is_encrypted_to_its_owner_alone_and_the_remote_copy_is_plain()
    {
        await using var spamd = FakeSpamd.OnTcp(() => FakeSpamd.Recorded("ham.reply"));
        await using var smtp = new FakeSmtpServer();
        var result = await RunAsync(Options(smtp, spamd), Original, "alice@example.org", "bob@example.org", "dave@example.net");
        await smtp.WaitForSessionsAsync(3, TimeSpan.FromSeconds(20));

        Assert.Equal(["encrypted", "encrypted", "passed"], result.Recipients.Select(r => r.Action));
        Assert.All(smtp.Sessions, s => Assert.True(s.FinalDotReceived));
        Assert.Single(spamd.Requests);

        var aliceCopy = SessionFor(smtp, "alice@example.org");
        var bobCopy = SessionFor(smtp, "bob@example.org");
        Assert.Single(aliceCopy.Commands, c => c.StartsWith("RCPT", StringComparison.Ordinal));
        string aliceInner = Encoding.UTF8.GetString(_alice.Decrypt(Armored(aliceCopy.Data.ToString())));
        Assert.Contains("Shall we meet at noon? Café at the corner.", aliceInner, StringComparison.Ordinal);
        Assert.NotEqual(0, _bob.TryDecrypt(Armored(aliceCopy.Data.ToString())).Exit);
        Assert.Contains("Café", Encoding.UTF8.GetString(_bob.Decrypt(Armored(bobCopy.Data.ToString()))), StringComparison.Ordinal);
        Assert.NotEqual(0, _alice.TryDecrypt(Armored(bobCopy.Data.ToString())).Exit);

        string remote = SessionFor(smtp, "dave@example.net").Data.ToString();
        Assert.Contains("Shall we meet at noon?", remote, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN PGP", remote, StringComparison.Ordinal);

        // the verdict is outside, in every copy; the forged X-Spam-Flag that came in is gone
        foreach (var s in smtp.Sessions)
        {
            string header = s.Data.ToString().Split("\n\n")[0];
            Assert.Contains("X-Spam-Status: No, score=1.1", header, StringComparison.Ordinal);
            Assert.DoesNotContain("X-Spam-Flag: NO", header, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Spam_is_flagged_outside_and_tagged_when_asked()
    {
        await using var spamd = FakeSpamd.OnTcp(() => FakeSpamd.Recorded("gtube.reply"));
        await using var smtp = new FakeSmtpServer();
        var result = await RunAsync(Options(smtp, spamd, o => o with { SpamSubjectTag = "[SPAM]" }), Original, "alice@example.org");
        await smtp.WaitForSessionsAsync(1, TimeSpan.FromSeconds(20));

        Assert.True(result.Spam!.IsSpam);
        string data = smtp.Data.ToString();
        string outer = data.Split("\n\n")[0];
        Assert.Contains("X-Spam-Flag: YES", outer, StringComparison.Ordinal);
        Assert.Contains("Subject: [SPAM] lunch", outer, StringComparison.Ordinal);
        Assert.Contains("multipart/encrypted", outer, StringComparison.Ordinal);
        Assert.Contains("Shall we meet", Encoding.UTF8.GetString(_alice.Decrypt(Armored(data))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spamd_down_keeps_the_mail_queued_by_default()
    {
        await using var smtp = new FakeSmtpServer();
        var options = Options(smtp, null, o => o with { SpamCheck = true, Spamd = new SpamdClientOptions { Endpoint = "inet:127.0.0.1:9", ConnectTimeout = TimeSpan.FromSeconds(2) } });
        var e = await Assert.ThrowsAsync<MailsealException>(() => RunAsync(options, Original, "alice@example.org"));

        Assert.Equal(ExitCodes.TempFail, e.ExitCode);
        Assert.StartsWith("spam check failed: spamd at inet:127.0.0.1:9", e.Message, StringComparison.Ordinal);
        Assert.Empty(smtp.Sessions);
    }

    [Fact]
    public async Task Spamd_down_can_be_skipped_with_a_header_saying_so()
    {
        await using var smtp = new FakeSmtpServer();
        var options = Options(smtp, null, o => o with
        {
            SpamCheck = true,
            SpamUnavailable = SpamUnavailablePolicy.Skip,
            Spamd = new SpamdClientOptions { Endpoint = "inet:127.0.0.1:9", ConnectTimeout = TimeSpan.FromSeconds(2) },
        });
        var result = await RunAsync(options, Original, "dave@example.net");
        await smtp.WaitForSessionsAsync(1, TimeSpan.FromSeconds(20));

        Assert.StartsWith("skipped (spamd unavailable", result.SpamCheckNote, StringComparison.Ordinal);
        Assert.Contains("X-Mailseal-Spam-Check: skipped (spamd unavailable", smtp.Data.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Large_messages_skip_the_check_and_still_arrive_whole()
    {
        await using var spamd = FakeSpamd.OnTcp(() => FakeSpamd.Recorded("ham.reply"));
        await using var smtp = new FakeSmtpServer();
        string big = Original + string.Concat(Enumerable.Repeat("0123456789 abcdefghij klmnopqrstuvwxyz\r\n", 20_000));
        var result = await RunAsync(Options(smtp, spamd, o => o with { Spamd = o.Spamd with { MaxMessageSize = 100_000 } }), big, "dave@example.net");
        await smtp.WaitForSessionsAsync(1, TimeSpan.FromSeconds(20));

        Assert.Empty(spamd.Requests);
        Assert.Equal("skipped (message over spam_max_size, 100000 bytes)", result.SpamCheckNote);
        string data = smtp.Data.ToString();
        Assert.Equal(20_000, data.Split("0123456789 abcdefghij").Length - 1);
        Assert.EndsWith("klmnopqrstuvwxyz\n", data, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MissingKeyPolicy.Tempfail, ExitCodes.TempFail, "4.7.5")]
    [InlineData(MissingKeyPolicy.Bounce, ExitCodes.NoUser, "5.7.5")]
    public async Task A_local_recipient_without_a_key_is_never_sent_plaintext(MissingKeyPolicy policy, int exit, string status)
    {
        await using var smtp = new FakeSmtpServer();
        var e = await Assert.ThrowsAsync<MailsealException>(() =>
            RunAsync(Options(smtp, null, o => o with { MissingKey = policy }), Original, "alice@example.org", "erin@example.org"));
        Assert.Equal(exit, e.ExitCode);
        Assert.Equal(status, e.EnhancedStatusCode);
        Assert.Contains("erin@example.org", e.Message, StringComparison.Ordinal);
        Assert.Empty(smtp.Sessions);
    }

    [Fact]
    public async Task A_refused_copy_queues_no_copy_at_all()
    {
        await using var smtp = new FakeSmtpServer(new() { ["RCPT TO:<bob@"] = "451 4.3.0 try later" });
        var e = await Assert.ThrowsAsync<MailsealException>(() => RunAsync(Options(smtp, null), Original, "alice@example.org", "bob@example.org", "dave@example.net"));
        await smtp.WaitForSessionsAsync(3, TimeSpan.FromSeconds(20));

        Assert.Contains("451 4.3.0 try later", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.TempFail, e.ExitCode);
        Assert.All(smtp.Sessions, s => Assert.False(s.FinalDotReceived));
    }

    [Fact]
    public async Task An_input_that_dies_midway_queues_nothing()
    {
        await using var smtp = new FakeSmtpServer();
        var dying = new DyingStream(Encoding.UTF8.GetBytes(Original + new string('x', 300_000)), failAfter: 200_000);
        var e = await Assert.ThrowsAsync<MailsealException>(() =>
            Create(Options(smtp, null), _keys).ProcessAsync(dying, "carol@example.com", ["alice@example.org", "dave@example.net"], CancellationToken.None));
        await smtp.WaitForSessionsAsync(2, TimeSpan.FromSeconds(20));

        Assert.Contains("stdin went away", e.Message, StringComparison.Ordinal);
        Assert.All(smtp.Sessions, s => Assert.False(s.FinalDotReceived));
    }

    [Fact]
    public virtual async Task Scrubbing_drops_client_fields_before_the_copies_leave()
    {
        await using var smtp = new FakeSmtpServer();
        string submission = "Received: from laptop (h.example.net [203.0.113.5])\r\n\tby mail.example.org (Postfix) with ESMTPSA id 2\r\n" +
            "From: alice@example.org\r\nTo: dave@example.net\r\nUser-Agent: Thunderbird\r\nSubject: hi\r\n\r\nbody\r\n";
        var result = await RunAsync(Options(smtp, null, o => o with { Scrub = ScrubRules.Default }), submission, "dave@example.net");
        await smtp.WaitForSessionsAsync(1, TimeSpan.FromSeconds(20));

        string data = smtp.Data.ToString();
        Assert.DoesNotContain("User-Agent", data, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.5", data, StringComparison.Ordinal);
        Assert.StartsWith("Received: from [127.0.0.1] (localhost [127.0.0.1])\n", data, StringComparison.Ordinal);
        Assert.Equal(["Received=anonymized", "User-Agent=dropped"], result.Scrubbed);
    }

    [Fact]
    public async Task No_recipient_is_a_wiring_mistake()
    {
        await using var smtp = new FakeSmtpServer();
        var e = await Assert.ThrowsAsync<MailsealException>(() => RunAsync(Options(smtp, null), Original));
        Assert.Equal("4.3.5", e.EnhancedStatusCode);
        Assert.Equal(ExitCodes.TempFail, e.ExitCode);
    }

    /// <summary>Gives its bytes, then fails as a broken stdin would.</summary>
    private sealed class DyingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= failAfter)
                throw new IOException("stdin went away");
            return await base.ReadAsync(buffer[..(int)Math.Min(buffer.Length, failAfter - Position)], cancellationToken);
        }
    }
}
