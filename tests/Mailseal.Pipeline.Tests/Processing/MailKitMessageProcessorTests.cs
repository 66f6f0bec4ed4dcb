using Mailseal.Core.Keys;
using Mailseal.Pipeline.Processing;
using Mailseal.Pipeline.Scrub;
using Mailseal.Pipeline.Tests.Smtp;
using Mailseal.Testing;

namespace Mailseal.Pipeline.Tests.Processing;

/// <summary>
/// Issue #11's probe: every <see cref="MessageProcessorTests"/> case with MailKit's SmtpClient
/// re-injecting the copies (<see cref="MailKitReinjector"/>): several copies whose final dots wait
/// for each other, a refused copy, an input that dies midway. All pass but the one that checks
/// the copy's first bytes: MailKit writes a blank line before a streamed message
/// (MailKitReinjectorTests.MailKit_limitation_a_streamed_message_gets_a_blank_line_before_it).
/// </summary>
public sealed class MailKitMessageProcessorTests : MessageProcessorTests
{
    private protected override MessageProcessor Create(PipeOptions options, IKeyDirectory keys) =>
        new(options, keys, null, new MailKitReinjector(options.Reinject));

    /// <summary>MailKit limitation: the scrubbed copy arrives, but behind a blank line that makes its header the body.</summary>
    [Fact]
    public override async Task Scrubbing_drops_client_fields_before_the_copies_leave()
    {
        await using var smtp = new FakeSmtpServer();
        string submission = "Received: from laptop (h.example.net [203.0.113.5])\r\n\tby mail.example.org (Postfix) with ESMTPSA id 2\r\n" +
            "From: alice@example.org\r\nTo: dave@example.net\r\nUser-Agent: Thunderbird\r\nSubject: hi\r\n\r\nbody\r\n";
        await RunAsync(Options(smtp, null, o => o with { Scrub = ScrubRules.Default }), submission, "dave@example.net");
        await smtp.WaitForSessionsAsync(1, TimeSpan.FromSeconds(20));
        Assert.StartsWith("\nReceived: from [127.0.0.1] (localhost [127.0.0.1])\n", smtp.Data.ToString(), StringComparison.Ordinal);
    }
}
