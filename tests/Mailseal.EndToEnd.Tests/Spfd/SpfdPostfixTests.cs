using MailKit.Net.Smtp;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Spfd;

/// <summary>
/// mailseal-spfd answering the real Postfix's check_policy_service, in spawn(8) mode (the
/// tutorial's master.cf line with the path changed) and as a daemon, for pass, softfail, fail,
/// permerror and temperror (a DNS server that never answers); checked through the SMTP reply
/// and the Received-SPF header of the delivered message. The harness's unbound serves the zone.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class SpfdPostfixTests : IAsyncLifetime
{
    private const string Zone = "spfd.test";
    private readonly MailStack _stack;
    private readonly List<Process> _daemons = [];
    private Socket? _blackHole;

    public SpfdPostfixTests(MailStack stack) => _stack = stack;

    public async Task InitializeAsync()
    {
        await _stack.SetDnsZoneAsync(Zone, [
            $"pass.{Zone}. 300 IN TXT \"v=spf1 ip4:127.0.0.1 -all\"",
            $"fail.{Zone}. 300 IN TXT \"v=spf1 -all\"",
            $"soft.{Zone}. 300 IN TXT \"v=spf1 ~all\"",
            $"perm.{Zone}. 300 IN TXT \"v=spf1 foo:bar -all\"",
        ]);
        _blackHole = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _blackHole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public async Task DisposeAsync()
    {
        foreach (var d in _daemons)
        {
            if (!d.HasExited)
            {
                d.Kill();
                await d.WaitForExitAsync();
            }

            d.Dispose();
        }

        _blackHole?.Dispose();
        await _stack.ResetPostfixConfigAsync();
        await _stack.RemoveDnsZoneAsync(Zone);
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var mode in new[] { "spawn", "daemon" })
        {
            foreach (var result in new[] { "pass", "softfail", "fail", "permerror", "temperror" })
                data.Add(mode, result);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Postfix_acts_on_the_spf_result(string mode, string result)
    {
        var bin = Path.Combine(await _stack.ToolsDirectoryAsync(), "mailseal-spfd");
        Assert.True(File.Exists(bin), $"publishing Mailseal.Spfd gave no {bin}");
        var dnsPort = result == "temperror" ? ((IPEndPoint)_blackHole!.LocalEndPoint!).Port : _stack.DnsPort;

        // The test client connects from 127.0.0.1, which policyd-spf's default skip list covers:
        // narrow it so the loopback client is checked like a remote one.
        var args = $"--dns-servers 127.0.0.1:{dnsPort} --skip-addresses 192.0.2.255 --permerror-reject True --temperror-defer True --lookup-time 2 --syslog-socket {Path.Combine(_stack.TempDirectory, "run", "no-syslog")}";
        if (mode == "spawn")
        {
            await _stack.ApplyPostfixFragmentAsync("postfix/mailseal-spfd.postconf", new Dictionary<string, string>
            {
                ["SPFD_USER"] = MailStack.PipeUser,
                ["SPFD_COMMAND"] = bin + " " + args,
            });
        }
        else
        {
            var port = FreePorts.Take(1)[0];
            await StartDaemonAsync(bin, $"--listen inet:127.0.0.1:{port} " + args, port);
            await _stack.ApplyPostfixFragmentAsync("postfix/mailseal-spfd-daemon.postconf", new Dictionary<string, string>
            {
                ["SPFD_LISTEN"] = $"inet:127.0.0.1:{port}",
            });
        }

        var check = await _stack.PostfixCheckAsync();
        Assert.True(check.ExitCode == 0, "postfix check: " + check.Output);

        var account = await _stack.CreateAccountAsync($"spf-{mode}-{result}-{Guid.NewGuid():N}"[..40] + "@" + MailStack.Domain);
        var domain = result switch
        {
            "pass" => "pass." + Zone,
            "softfail" => "soft." + Zone,
            "fail" => "fail." + Zone,
            "permerror" => "perm." + Zone,
            _ => "pass." + Zone,
        };
        var sender = $"someone@{domain}";
        var subject = $"spf {mode} {result} {Guid.NewGuid():N}";

        using var smtp = await TestClients.ConnectSmtpAsync(_stack.SmtpPort, "client.example.org");
        var message = MailStack.BuildMessage(sender, account.Email, subject, "spf test");
        switch (result)
        {
            case "pass" or "softfail":
                {
                    await TestClients.SendRawAsync(smtp, sender, [account.Email], message);
                    await smtp.DisconnectAsync(true);
                    var text = Encoding.UTF8.GetString(Assert.Single(await _stack.WaitForMessagesAsync(account, 1)));
                    var word = result == "pass" ? "Pass" : "Softfail";
                    Assert.Contains($"Received-SPF: {word} (mailfrom) identity=mailfrom; client-ip=127.0.0.1; helo=client.example.org; envelope-from={sender}; receiver={MailStack.Domain}", text, StringComparison.Ordinal);
                    Assert.Single(text.Split('\n'), l => l.StartsWith("Received-SPF:", StringComparison.Ordinal));
                    break;
                }

            case "fail" or "permerror":
                {
                    var refused = await Assert.ThrowsAsync<SmtpCommandException>(() => TestClients.SendRawAsync(smtp, sender, [account.Email], message));
                    Assert.Equal(550, (int)refused.StatusCode);
                    Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
                    var status = result == "fail" ? "5.7.23" : "5.7.24";
                    Assert.StartsWith($"{status} <{account.Email}>: Recipient address rejected: Message rejected due to: {(result == "fail" ? "SPF fail - not authorized" : "permanent error in processing")}", refused.Message.Split('\n')[0], StringComparison.Ordinal);
                    Assert.Contains($"s=mfrom;id={sender};ip=127.0.0.1;r={MailStack.Domain}", refused.Message, StringComparison.Ordinal);
                    break;
                }

            default:
                {
                    var watch = Stopwatch.StartNew();
                    var deferred = await Assert.ThrowsAsync<SmtpCommandException>(() => TestClients.SendRawAsync(smtp, sender, [account.Email], message));
                    watch.Stop();
                    Assert.Equal(450, (int)deferred.StatusCode);
                    Assert.Equal(SmtpErrorCode.RecipientNotAccepted, deferred.ErrorCode);
                    Assert.StartsWith($"4.7.24 <{account.Email}>: Recipient address rejected: Message deferred due to: temporary DNS error in processing", deferred.Message.Split('\n')[0], StringComparison.Ordinal);
                    Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"temperror took {watch.Elapsed} with --lookup-time 2");
                    break;
                }
        }
    }

    private async Task StartDaemonAsync(string bin, string args, int port)
    {
        var info = new ProcessStartInfo(bin) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start mailseal-spfd");
        _daemons.Add(process);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!FreePorts.IsListening(port))
        {
            Assert.False(process.HasExited, $"mailseal-spfd exited with {(process.HasExited ? process.ExitCode : 0)}");
            Assert.True(DateTime.UtcNow < deadline, "mailseal-spfd did not listen within 20 s");
            await Task.Delay(100);
        }
    }
}
