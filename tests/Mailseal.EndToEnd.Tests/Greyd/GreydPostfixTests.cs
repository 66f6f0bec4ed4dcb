using MailKit.Net.Smtp;
using System.Text;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Greyd;

/// <summary>
/// mailseal-greyd answering the real Postfix's check_policy_service through
/// postfix/mailseal-greyd.postconf, started with postgrey's command line: the first attempt
/// gets 450 with the configured text, the retry after the delay is delivered with one
/// X-Greylist header, a whitelisted client passes at once, and a client is auto-whitelisted
/// after N deliveries. The test client is the retrying MTA.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class GreydPostfixTests : IAsyncLifetime
{
    private const string Text = "Greylisted by mailseal, come back in %s seconds (%r)";
    private readonly MailStack _stack;
    private readonly List<GreydDaemon> _daemons = [];
    private readonly string _dir;

    public GreydPostfixTests(MailStack stack)
    {
        _stack = stack;
        _dir = Path.Combine(stack.TempDirectory, "greyd-" + Guid.NewGuid().ToString("N")[..8]);
    }

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "none"), "# nothing whitelisted\n");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var d in _daemons)
            await d.DisposeAsync();
        await _stack.ResetPostfixConfigAsync();
    }

    private async Task<GreydDaemon> StartAsync(params string[] extra)
    {
        string[] args =
        [
            "--delay=2", "--greylist-text=" + Text, "--store", "sqlite:" + Path.Combine(_dir, $"g{_daemons.Count}.sqlite"),
            "--whitelist-clients=" + Path.Combine(_dir, "none"), "--whitelist-recipients=" + Path.Combine(_dir, "none"), .. extra,
        ];
        var daemon = await GreydDaemon.StartAsync(_stack, args);
        _daemons.Add(daemon);
        await _stack.ApplyPostfixFragmentAsync("postfix/mailseal-greyd.postconf", new Dictionary<string, string> { ["GREYD_LISTEN"] = daemon.Listen });
        var check = await _stack.PostfixCheckAsync();
        Assert.True(check.ExitCode == 0, "postfix check: " + check.Output);
        return daemon;
    }

    private static async Task<SmtpCommandException> DeferredAsync(int port, string sender, string recipient)
    {
        using var smtp = await TestClients.ConnectSmtpAsync(port, "mx.sender.example");
        var deferred = await Assert.ThrowsAsync<SmtpCommandException>(() => TestClients.SendRawAsync(smtp, sender, [recipient], MailStack.BuildMessage(sender, recipient, "greylisted", "greylist test")));
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, deferred.ErrorCode);
        await smtp.DisconnectAsync(true);
        return deferred;
    }

    private async Task SendAsync(string sender, MailAccount account, string subject)
    {
        using var smtp = await TestClients.ConnectSmtpAsync(_stack.SmtpPort, "mx.sender.example");
        await TestClients.SendRawAsync(smtp, sender, [account.Email], MailStack.BuildMessage(sender, account.Email, subject, "greylist test"));
        await smtp.DisconnectAsync(true);
    }

    [Fact]
    public async Task First_attempt_gets_450_with_the_text_and_the_retry_after_the_delay_is_delivered_with_one_x_greylist_header()
    {
        var daemon = await StartAsync();
        var account = await _stack.CreateAccountAsync($"grey-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
        var sender = "alice@sender.example";

        var deferred = await DeferredAsync(_stack.SmtpPort, sender, account.Email);
        Assert.Equal(450, (int)deferred.StatusCode);
        Assert.Equal($"4.2.0 <{account.Email}>: Recipient address rejected: Greylisted by mailseal, come back in 2 seconds ({MailStack.Domain})", deferred.Message.Split('\n')[0]);

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await SendAsync(sender, account, "greylist retry");
        var text = Encoding.UTF8.GetString(Assert.Single(await _stack.WaitForMessagesAsync(account, 1)));
        var headers = text.Split('\n').Where(l => l.StartsWith("X-Greylist:", StringComparison.Ordinal)).ToList();
        Assert.Single(headers);
        Assert.Matches(@"^X-Greylist: delayed [2-9] seconds by mailseal-greyd-[0-9.]+ at \S+; ", headers[0]);
        Assert.Contains("action=greylist, reason=new", daemon.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_whitelisted_client_passes_at_once_without_a_header()
    {
        File.WriteAllText(Path.Combine(_dir, "clients"), "# the test client\n127.0.0.1\n");
        await StartAsync("--whitelist-clients=" + Path.Combine(_dir, "clients"));
        var account = await _stack.CreateAccountAsync($"greyw-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
        await SendAsync("bob@sender.example", account, "whitelisted");
        var text = Encoding.UTF8.GetString(Assert.Single(await _stack.WaitForMessagesAsync(account, 1)));
        Assert.DoesNotContain("X-Greylist:", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_is_auto_whitelisted_after_n_deliveries()
    {
        var daemon = await StartAsync("--auto-whitelist-clients=2", "--auto-whitelist-interval=0");
        var account = await _stack.CreateAccountAsync($"greya-{Guid.NewGuid():N}"[..20] + "@" + MailStack.Domain);
        for (var n = 0; n < 2; n++)
        {
            var sender = $"list{n}@sender{n}.example";
            Assert.Equal(450, (int)(await DeferredAsync(_stack.SmtpPort, sender, account.Email)).StatusCode);
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            await SendAsync(sender, account, $"awl {n}");
        }

        // Two deliveries passed greylisting: a sender never seen before passes at once.
        await SendAsync("someone-new@elsewhere.example", account, "awl new sender");
        var messages = await _stack.WaitForMessagesAsync(account, 3);
        Assert.Equal(3, messages.Count);
        Assert.DoesNotContain("X-Greylist:", Encoding.UTF8.GetString(messages.Single(m => Encoding.UTF8.GetString(m).Contains("awl new sender", StringComparison.Ordinal))), StringComparison.Ordinal);
        Assert.Contains("reason=client AWL", daemon.Log, StringComparison.Ordinal);
    }
}
