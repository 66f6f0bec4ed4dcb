using MailKit.Net.Smtp;
using System.Net.Sockets;
using System.Text;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Smoke;

/// <summary>The harness proves itself: mail in over SMTP and submission, out over IMAP, a Dovecot outage, DNS, spamd.</summary>
[Collection(MailStackCollection.Name)]
public sealed class SmokeTests
{
    private readonly MailStack _stack;

    public SmokeTests(MailStack stack) => _stack = stack;

    [Fact]
    public async Task An_account_created_through_the_schema_receives_smtp_mail_and_reads_it_over_imap()
    {
        var account = await _stack.CreateAccountAsync($"alice-{Guid.NewGuid():N}@{MailStack.Domain}");
        var subject = $"smoke {Guid.NewGuid():N}";

        var queueId = await _stack.SendAsync("sender@example.org", [account.Email], MailStack.BuildMessage("sender@example.org", account.Email, subject, "hello over smtp"));

        var messages = await _stack.WaitForMessagesAsync(account, 1);
        var text = Encoding.UTF8.GetString(Assert.Single(messages));
        Assert.Contains($"Subject: {subject}", text, StringComparison.Ordinal);
        Assert.Contains("hello over smtp", text, StringComparison.Ordinal);
        Assert.Contains(queueId, text, StringComparison.Ordinal); // Postfix's Received: header names it
        Assert.True(Directory.Exists(Path.Combine(_stack.MailRoot, account.Maildir, "Maildir")), "the mail is stored under users.maildir");
    }

    [Theory]
    [InlineData(PasswordScheme.Argon2Id)]
    [InlineData(PasswordScheme.Sha512Crypt)]
    public async Task Submission_with_auth_is_accepted_and_a_wrong_password_is_refused(PasswordScheme scheme)
    {
        var sender = await _stack.CreateAccountAsync($"sender-{Guid.NewGuid():N}@{MailStack.Domain}", "right-password", scheme: scheme);
        var rcpt = await _stack.CreateAccountAsync($"rcpt-{Guid.NewGuid():N}@{MailStack.Domain}");

        var log = new MemoryStream();
        using (var smtp = await TestClients.ConnectSmtpAsync(_stack.SubmissionPort, logger: new MailKit.ProtocolLogger(log, leaveOpen: true)))
        {
            var wrong = await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(() => smtp.AuthenticateAsync(sender.Email, "wrong-password"));
            Assert.Contains("5.7.8", wrong.Message, StringComparison.Ordinal);
        }

        Assert.Contains("S: 535 5.7.8 ", Encoding.UTF8.GetString(log.ToArray()), StringComparison.Ordinal);

        // without AUTH the submission service refuses the recipient
        using (var smtp = await TestClients.ConnectSmtpAsync(_stack.SubmissionPort))
        {
            var refused = await Assert.ThrowsAsync<SmtpCommandException>(() =>
                TestClients.SendRawAsync(smtp, sender.Email, [rcpt.Email], MailStack.BuildMessage(sender.Email, rcpt.Email, "refused", "x")));
            Assert.Equal(554, (int)refused.StatusCode);
            Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
        }

        var subject = $"submitted {Guid.NewGuid():N}";
        await _stack.SubmitAsync(sender.Email, "right-password", sender.Email, [rcpt.Email], MailStack.BuildMessage(sender.Email, rcpt.Email, subject, "sent with AUTH"));
        var got = await _stack.WaitForMessagesAsync(rcpt, 1);
        Assert.Contains(subject, Encoding.UTF8.GetString(Assert.Single(got)), StringComparison.Ordinal);
        Assert.Contains("sasl_username=" + sender.Email, File.ReadAllText(Path.Combine(_stack.LogDirectory, "postfix.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Imap_login_with_a_wrong_password_is_refused()
    {
        var account = await _stack.CreateAccountAsync($"imap-{Guid.NewGuid():N}@{MailStack.Domain}", "the-password");
        var transcript = new MemoryStream();
        await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(() =>
            TestClients.ConnectImapAsync(_stack.ImapPort, account.Email, "not-the-password", new MailKit.ProtocolLogger(transcript, leaveOpen: true)));
        // Dovecot's tagged answer, as MailKit saw it on the wire
        Assert.Matches(@"S: \S+ NO \[AUTHENTICATIONFAILED\]", Encoding.UTF8.GetString(transcript.ToArray()));
    }

    [Fact]
    public async Task A_stopped_dovecot_makes_postfix_queue_and_a_restarted_one_gets_exactly_one_copy()
    {
        var account = await _stack.CreateAccountAsync($"outage-{Guid.NewGuid():N}@{MailStack.Domain}");
        await _stack.StopServiceAsync(MailService.Dovecot);
        try
        {
            Assert.False(_stack.IsRunning(MailService.Dovecot));
            var queueId = await _stack.SendAsync("sender@example.org", [account.Email], MailStack.BuildMessage("sender@example.org", account.Email, "during the outage", "queued, then delivered"));

            var queue = await _stack.WaitForQueueAsync(q => q.Any(m => m.QueueId == queueId && m.QueueName == "deferred"));
            var deferred = queue.Single(m => m.QueueId == queueId);
            Assert.Equal(account.Email, Assert.Single(deferred.Recipients).Address);
            Assert.False(string.IsNullOrEmpty(deferred.Recipients[0].DelayReason));
        }
        finally
        {
            await _stack.StartServiceAsync(MailService.Dovecot);
        }

        await _stack.FlushQueueAsync();
        var messages = await _stack.WaitForMessagesAsync(account, 1);
        Assert.Single(messages);
        await _stack.WaitForSettledDeliveriesAsync(account.Email, 1);
        Assert.Single(await _stack.FetchMessagesAsync(account.Email, account.Password));
    }

    [Fact]
    public async Task A_stopped_postgres_makes_postfix_answer_with_a_temporary_error_and_a_restarted_one_serves_again()
    {
        var account = await _stack.CreateAccountAsync($"dbdown-{Guid.NewGuid():N}@{MailStack.Domain}");
        await _stack.StopServiceAsync(MailService.Postgres);
        try
        {
            Assert.False(_stack.IsRunning(MailService.Postgres));
            var refused = await Assert.ThrowsAsync<SmtpCommandException>(() =>
                _stack.SendAsync("sender@example.org", [account.Email], MailStack.BuildMessage("sender@example.org", account.Email, "db down", "x")));
            Assert.Equal(4, (int)refused.StatusCode / 100); // a lookup failure is temporary: the sender retries
        }
        finally
        {
            await _stack.StartServiceAsync(MailService.Postgres);
            await _stack.ReloadPostfixAsync();
        }

        await _stack.SendAsync("sender@example.org", [account.Email], MailStack.BuildMessage("sender@example.org", account.Email, "db back", "delivered"));
        Assert.Single(await _stack.WaitForMessagesAsync(account, 1));
    }

    [Fact]
    public async Task The_pipe_user_can_reinject_with_sendmail_bs_into_the_private_postfix()
    {
        // NOTES.md pitfall 1: postdrop refuses a private config dir unless /etc/postfix/main.cf lists it
        var account = await _stack.CreateAccountAsync($"reinject-{Guid.NewGuid():N}@{MailStack.Domain}");
        var subject = $"reinjected {Guid.NewGuid():N}";
        var dialogue = string.Join("\r\n",
            "HELO localhost", "MAIL FROM:<sender@example.org>", $"RCPT TO:<{account.Email}>", "DATA",
            MailStack.BuildMessage("sender@example.org", account.Email, subject, "through sendmail -bs").TrimEnd(), ".", "QUIT", string.Empty);

        var r = await ProcessRunner.RunAsync("runuser", ["-u", MailStack.PipeUser, "--", "/usr/sbin/sendmail", "-C", _stack.PostfixConfigDirectory, "-bs"], dialogue);

        Assert.True(r.ExitCode == 0, $"sendmail -bs as {MailStack.PipeUser} exited {r.ExitCode}: {r.Output}");
        Assert.Contains("250 2.0.0 Ok: queued as", r.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(subject, Encoding.UTF8.GetString(Assert.Single(await _stack.WaitForMessagesAsync(account, 1))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unbound_answers_the_zone_a_test_gave_it_and_nothing_else()
    {
        var zone = $"z{Guid.NewGuid():N}.example.org";
        await _stack.SetDnsZoneAsync(zone, [
            $"{zone}. 300 IN TXT \"v=spf1 ip4:192.0.2.1 -all\"",
            $"{zone}. 300 IN MX 5 mx.{zone}.",
            $"mx.{zone}. 300 IN A 192.0.2.25",
        ]);

        var txt = await _stack.QueryDnsAsync(zone, DnsClient.QueryType.TXT);
        Assert.Equal(0, txt.Rcode);
        Assert.Equal("v=spf1 ip4:192.0.2.1 -all", Assert.Single(txt.Answers));
        Assert.Equal($"5 mx.{zone}.", Assert.Single((await _stack.QueryDnsAsync(zone, DnsClient.QueryType.MX)).Answers));
        Assert.Equal("192.0.2.25", Assert.Single((await _stack.QueryDnsAsync("mx." + zone, DnsClient.QueryType.A)).Answers));
        Assert.Equal(3, (await _stack.QueryDnsAsync("other." + zone, DnsClient.QueryType.A)).Rcode);
        Assert.Equal(3, (await _stack.QueryDnsAsync("example.net", DnsClient.QueryType.A)).Rcode); // no upstream: NXDOMAIN at once

        await _stack.RemoveDnsZoneAsync(zone);
        Assert.Equal(3, (await _stack.QueryDnsAsync(zone, DnsClient.QueryType.TXT)).Rcode);
    }

    [Fact]
    public async Task Spamd_answers_on_its_port()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _stack.SpamdPort);
        var s = tcp.GetStream();
        await s.WriteAsync(Encoding.ASCII.GetBytes("PING SPAMC/1.5\r\n\r\n"));
        using var reader = new StreamReader(s, Encoding.ASCII);
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("SPAMD/1.5 0 PONG", line);
    }
}
