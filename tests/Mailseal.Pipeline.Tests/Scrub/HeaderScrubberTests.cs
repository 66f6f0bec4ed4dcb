using System.Text;
using Mailseal.Core.Mime;
using Mailseal.Pipeline.Scrub;

namespace Mailseal.Pipeline.Tests.Scrub;

public class HeaderScrubberTests
{
    private const string SubmissionReceived =
        "Received: from laptop.home (host-203-0-113-5.example.net [203.0.113.5])\r\n" +
        "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n" +
        "\t(No client certificate requested)\r\n" +
        "\tby mail.example.org (Postfix) with ESMTPSA id 4FzQ1x2Abc\r\n" +
        "\tfor <bob@example.net>; Sun, 22 Nov 2026 02:00:00 +0000 (UTC)\r\n";

    private static async Task<(string Output, ScrubOutcome Outcome)> ScrubAsync(string message, ScrubRules? rules = null, MimeLimits? limits = null)
    {
        var output = new MemoryStream();
        var outcome = await new HeaderScrubber(rules ?? ScrubRules.Default, limits)
            .ScrubAsync(new MemoryStream(Encoding.Latin1.GetBytes(message)), output, CancellationToken.None);
        return (Encoding.Latin1.GetString(output.ToArray()), outcome);
    }

    [Fact]
    public async Task Drops_the_client_fields_and_keeps_everything_else_byte_for_byte()
    {
        string message =
            "From: Alice <alice@example.org>\r\n" +
            "To: bob@example.net\r\n" +
            "User-Agent: Mozilla Thunderbird 128.4\r\n" +
            "x-mailer: Foo\r\n" +
            "X-Enigmail: Version 2.0\r\n" +
            "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n" +
            "X-Originating-IP: [203.0.113.5]\r\n" +
            "\r\n" +
            "User-Agent: this is the body, not a header\r\n";
        var (output, outcome) = await ScrubAsync(message);

        Assert.Equal(
            "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\n" +
            "User-Agent: this is the body, not a header\r\n",
            output);
        Assert.Equal(["User-Agent", "x-mailer", "X-Enigmail", "X-Originating-IP"], outcome.Changes.Select(c => c.Field));
        Assert.All(outcome.Changes, c => Assert.Equal("dropped", c.Action));
    }

    [Fact]
    public async Task Anonymises_only_the_topmost_authenticated_received()
    {
        string older = "Received: from inner.example.org (inner.example.org [198.51.100.7])\r\n\tby laptop.home with ESMTPSA id 1; Sun, 22 Nov 2026 01:59:00 +0000\r\n";
        string message = SubmissionReceived + older + "From: alice@example.org\r\n\r\nbody\r\n";
        var (output, outcome) = await ScrubAsync(message);

        string expectedFirst = SubmissionReceived.Replace("laptop.home (host-203-0-113-5.example.net [203.0.113.5])", "[127.0.0.1] (localhost [127.0.0.1])", StringComparison.Ordinal);
        Assert.Equal(expectedFirst + older + "From: alice@example.org\r\n\r\nbody\r\n", output);
        Assert.Equal(new ScrubChange("Received", "anonymized"), Assert.Single(outcome.Changes));
        Assert.DoesNotContain("203.0.113.5", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("with ESMTP id")]
    [InlineData("with ESMTPS id")]
    [InlineData("with SMTP id")]
    [InlineData("with LMTP id")]
    public void Unauthenticated_hops_are_not_submissions(string with) =>
        Assert.False(HeaderScrubber.IsAuthenticatedSubmission($"from a (b [192.0.2.1]) by c (Postfix) {with} X; date"));

    [Theory]
    [InlineData("with ESMTPSA id")]
    [InlineData("with ESMTPA id")]
    [InlineData("with UTF8SMTPSA id")]
    [InlineData("with LMTPSA id")]
    [InlineData("(Authenticated sender: alice@example.org) by c with ESMTPS id")]
    public void Authenticated_hops_are_submissions(string with) =>
        Assert.True(HeaderScrubber.IsAuthenticatedSubmission($"from a (b [192.0.2.1]) by c (Postfix) {with} X; date"));

    [Fact]
    public async Task Incoming_mail_from_outside_keeps_its_received()
    {
        string message = "Received: from mx.example.com (mx.example.com [192.0.2.1])\n\tby mail.example.org (Postfix) with ESMTPS id 1\n\tfor <alice@example.org>; Sun, 22 Nov 2026 02:00:00 +0000\nFrom: x@example.com\n\nhi\n";
        var (output, outcome) = await ScrubAsync(message);
        Assert.Equal(message, output);
        Assert.True(outcome.Unchanged);
    }

    [Fact]
    public async Task A_folded_client_clause_is_replaced_whole()
    {
        string message = "Received: from laptop.home\n\t(host-203-0-113-5.example.net [203.0.113.5])\n\tby mail.example.org (Postfix) with ESMTPSA id 1; date\nFrom: a@example.org\n\nx\n";
        var (output, _) = await ScrubAsync(message);
        Assert.StartsWith("Received: from [127.0.0.1] (localhost [127.0.0.1])\n\tby mail.example.org (Postfix) with ESMTPSA id 1; date\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_a_dkim_signature_covers_are_never_altered()
    {
        string message =
            "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=mail;\r\n\th=From:To:Subject:User-Agent; bh=abc=; b=def=\r\n" +
            "From: alice@example.org\r\nUser-Agent: Thunderbird\r\nX-Mailer: Foo\r\n\r\nbody\r\n";
        var (output, outcome) = await ScrubAsync(message);

        Assert.Contains("User-Agent: Thunderbird\r\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Mailer", output, StringComparison.Ordinal);
        Assert.Contains(new ScrubChange("User-Agent", "kept-dkim"), outcome.Changes);
        Assert.Contains(new ScrubChange("X-Mailer", "dropped"), outcome.Changes);
    }

    [Fact]
    public async Task Lf_only_messages_stay_lf_only()
    {
        string message = "From: a@example.org\nX-Mailer: Foo\nSubject: s\n\nline 1\nline 2\n";
        var (output, _) = await ScrubAsync(message);
        Assert.Equal("From: a@example.org\nSubject: s\n\nline 1\nline 2\n", output);
    }

    [Fact]
    public async Task A_header_block_over_the_limit_passes_unchanged()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 50; i++)
            sb.Append("X-Filler-").Append(i).Append(": ").Append('x', 60).Append("\r\n");
        sb.Append("User-Agent: kept because unparsed\r\n\r\nbody\r\n");
        var (output, outcome) = await ScrubAsync(sb.ToString(), limits: new MimeLimits { MaxHeaderBlockSize = 1024 });

        Assert.Equal(sb.ToString(), output);
        Assert.True(outcome.HeaderLimitExceeded);
    }

    [Fact]
    public async Task Wildcard_rules_drop_by_prefix()
    {
        var rules = ScrubRules.Parse("drop X-Client-*\n", "test");
        var (output, _) = await ScrubAsync("X-Client-IP: 1\nx-client-name: n\nX-Clientele: kept\n\nb\n", rules);
        Assert.Equal("X-Clientele: kept\n\nb\n", output);
    }
}
