using System.Globalization;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Pipe;

/// <summary>
/// Recipient forms the real Postfix 3.7 delivers to a local mailbox though they are not written
/// as that mailbox (issue #10, beyond case 3): a trailing dot, a quoted local part, a source
/// route, and routing through a domain of Postfix's own (mydestination = localhost here, and
/// [127.0.0.1], its inet_interfaces), which its resolver strips before it reads the local part
/// again as user@domain, user%domain (allow_percent_hack) or domain!user (swap_bangpath).
/// What pipe(8) hands mailseal-pipe is recorded; Dovecot must store ciphertext that gpg
/// decrypts, once. A domain with an empty label Postfix refuses at RCPT.
/// </summary>
public sealed partial class PipeStackTests
{
    /// <summary>
    /// {0} = the local part, {1} = the local domain. The second column is what Postfix handed
    /// pipe(8) as ${recipient}, as measured: cleanup strips the trailing dot, the source route and
    /// needless quotes; a routed form is queued as written, and resolved only when delivered,
    /// after the content filter; the shipped argv's flags=Rq quotes a local part that holds '@'.
    /// </summary>
    [Theory]
    [InlineData("{0}@{1}.", "{0}@{1}")]
    [InlineData("\"{0}\"@{1}", "{0}@{1}")]
    [InlineData("@a.example,@b.example:{0}@{1}", "{0}@{1}")]
    [InlineData("{0}%{1}@localhost", "{0}%{1}@localhost")]
    [InlineData("{0}@{1}@localhost", "\"{0}@{1}\"@localhost")]
    [InlineData("\"{0}@{1}\"@localhost", "\"{0}@{1}\"@localhost")]
    [InlineData("{1}!{0}@localhost", "{1}!{0}@localhost")]
    [InlineData("{0}@{1}@[127.0.0.1]", "\"{0}@{1}\"@[127.0.0.1]")]
    public async Task A_form_postfix_delivers_to_a_local_mailbox_is_stored_encrypted_never_in_plaintext(string form, string handedForm)
    {
        var local = $"route-{Guid.NewGuid():N}"[..16];
        var bob = await _stack.CreateAccountAsync($"{local}@{MailStack.Domain}");
        var argv = await RecordPipeArgumentsAsync();
        var recipient = string.Format(CultureInfo.InvariantCulture, form, local, MailStack.Domain);
        var body = $"routed form {Guid.NewGuid():N}";

        var (queueId, rcptReply) = await SendPlainAsync(Outside, recipient, MailStack.BuildMessage(Outside, bob.Email, "routed", body));
        Assert.True(queueId is not null, $"Postfix refused RCPT TO:<{recipient}>: {rcptReply}");
        var handed = await ReadRecordedRecipientAsync(argv, queueId);

        var stored = Text(Assert.Single(await _stack.WaitForMessagesAsync(bob, 1, TimeSpan.FromSeconds(60))));
        Assert.DoesNotContain(body, stored, StringComparison.Ordinal);
        Assert.Contains("multipart/encrypted", stored, StringComparison.Ordinal);
        Assert.Contains(body, await DecryptAsync(bob.Key, stored), StringComparison.Ordinal);
        Assert.Equal(string.Format(CultureInfo.InvariantCulture, handedForm, local, MailStack.Domain), handed);
        Assert.DoesNotContain(_sink.Messages, m => m.Data.Contains(body, StringComparison.Ordinal));
        await AssertExactlyOnceAsync(bob, 1);
    }

    /// <summary>
    /// An empty label: Postfix strips one trailing dot only, and its smtpd refuses the rest at
    /// RCPT (as measured: 501 5.1.3 Bad recipient address syntax), so such a recipient never
    /// reaches the filter (which would defer it with 4.3.5: HostileInputToolTests).
    /// </summary>
    [Theory]
    [InlineData("{0}@{1}..")]
    [InlineData("{0}@.{1}")]
    public async Task A_domain_with_an_empty_label_is_refused_by_postfix_at_rcpt(string form)
    {
        var local = $"empty-{Guid.NewGuid():N}"[..16];
        var recipient = string.Format(CultureInfo.InvariantCulture, form, local, MailStack.Domain);
        var (queueId, rcptReply) = await SendPlainAsync(Outside, recipient, MailStack.BuildMessage(Outside, recipient, "empty label", "refused"));
        Assert.Null(queueId);
        Assert.StartsWith("501 5.1.3", rcptReply, StringComparison.Ordinal);
    }

    /// <summary>One plain (no SMTPUTF8) transaction written byte for byte; the queue id, or null with Postfix's reply to RCPT.</summary>
    private async Task<(string? QueueId, string? RcptReply)> SendPlainAsync(string from, string to, string message)
    {
        await using var client = await SmtpTestClient.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _stack.SmtpPort));
        Assert.StartsWith("220", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.org"));
        Assert.StartsWith("250", await client.CommandAsync($"MAIL FROM:<{from}>"));
        var rcpt = await client.CommandAsync($"RCPT TO:<{to}>");
        if (rcpt is null || !rcpt.StartsWith('2'))
        {
            await client.CommandAsync("QUIT");
            return (null, rcpt);
        }

        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync(message.ReplaceLineEndings("\r\n").Replace("\r\n.", "\r\n..", StringComparison.Ordinal).TrimEnd('\r', '\n') + "\r\n.\r\n");
        var done = await client.ReadReplyAsync(TimeSpan.FromSeconds(60));
        Assert.True(done is not null && done.StartsWith("250", StringComparison.Ordinal), $"end of data: {done}");
        await client.CommandAsync("QUIT");
        return (TestClients.QueueIdOf(done) ?? throw new Xunit.Sdk.XunitException("no queue id in " + done), rcpt);
    }
}
