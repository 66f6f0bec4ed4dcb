using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Mailseal.EndToEnd.Tests.Harness;
using Mailseal.EndToEnd.Tests.Pipe;
using Npgsql;
using Xunit.Abstractions;

namespace Mailseal.EndToEnd.Tests.Filterd;

/// <summary>
/// mailseal-filterd as Postfix's after-queue content filter (postfix/mailseal-filterd.postconf)
/// on the real stack: the pipe's scenarios (inbound encrypted, spam, several recipients,
/// outbound, local without a key) and the faults (re-injection smtpd refusing, the daemon
/// killed), every scenario counting messages: exactly one copy delivered, none lost.
/// </summary>
[Collection(MailStackCollection.Name)]
public sealed class FilterdStackTests : IAsyncLifetime
{
    private const int MessageSizeLimit = 1_000_000;
    private const int ReinjectSizeLimit = 1_500_000;
    private const string Outside = "someone@example.org";
    private const string Gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    private readonly MailStack _stack;
    private SmtpSink _sink = null!;
    private FilterdProcess? _daemon;
    private string _dir = string.Empty;
    private string _config = string.Empty;
    private string _reinjectService = string.Empty;
    private int _filterdPort;

    private readonly ITestOutputHelper _output;

    public FilterdStackTests(MailStack stack, ITestOutputHelper output)
    {
        _stack = stack;
        _output = output;
    }

    public async Task InitializeAsync()
    {
        _dir = Path.Combine(_stack.TempDirectory, "filterd-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        var ports = FreePorts.Take(2);
        _filterdPort = ports[0];
        _reinjectService = $"127.0.0.1:{ports[1]}";
        _config = Path.Combine(_dir, "mailseal.conf");
        await File.WriteAllTextAsync(_config, $"""
            database = {_stack.ReaderConnectionString}
            local_domains = {MailStack.Domain}
            key_dir = {_dir}

            [filterd]
            spamd = inet:127.0.0.1:{_stack.SpamdPort}
            reinject = smtp:{_reinjectService}
            max_sessions = 4
            reinject_timeout = 30

            """);
        _sink = SmtpSink.Start();
        await _stack.ApplyFragmentsAsync(_stack.PostfixConfigDirectory, ["tests/Mailseal.EndToEnd.Tests/TestData/postfix/pipe-relay.postconf"], new Dictionary<string, string> { ["SINK_PORT"] = _sink.Port.ToString(CultureInfo.InvariantCulture) });
        await ApplyFilterdFragmentAsync();
        _daemon = await FilterdProcess.StartAsync(_stack, _filterdPort, ["--config", _config]);
    }

    public async Task DisposeAsync()
    {
        if (_daemon is not null)
            await _daemon.DisposeAsync();
        await _stack.ResetPostfixConfigAsync();
        if (_sink is not null)
            await _sink.DisposeAsync();
    }

    [Fact]
    public async Task The_fragment_passes_postfix_check_with_xforward_allowed_only_on_the_reinjection_listener()
    {
        var check = await _stack.PostfixCheckAsync();
        Assert.True(check.ExitCode == 0 && check.StandardError.Trim().Length == 0, $"postfix check: {check.Output}");
        var services = await ProcessRunner.RunCheckedAsync("postconf", ["-c", _stack.PostfixConfigDirectory, "-P"]);
        Assert.Contains($"{_stack.FragmentVariables["SMTP_SERVICE"]}/inet/content_filter = mailseal-filterd:[127.0.0.1]:{_filterdPort}", services.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(services.StandardOutput.Split('\n'), l => l.TrimEnd() == $"{_reinjectService}/inet/content_filter =");
        Assert.Contains($"{_reinjectService}/inet/smtpd_authorized_xforward_hosts = 127.0.0.0/8", services.StandardOutput, StringComparison.Ordinal);
        var main = await ProcessRunner.RunCheckedAsync("postconf", ["-c", _stack.PostfixConfigDirectory, "-h", "content_filter"]);
        Assert.Equal(string.Empty, main.StandardOutput.Trim());
    }

    [Fact]
    public async Task Mail_to_a_local_user_arrives_encrypted_and_gpg_decrypts_it_and_xforward_carries_the_original_queue_id()
    {
        var alice = await _stack.CreateAccountAsync($"alice-{Guid.NewGuid():N}@{MailStack.Domain}");
        var body = $"the original text {Guid.NewGuid():N}";
        var queueId = await _stack.SendAsync(Outside, [alice.Email], MailStack.BuildMessage(Outside, alice.Email, "inbound", body));

        var stored = Text(Assert.Single(await _stack.WaitForMessagesAsync(alice, 1, TimeSpan.FromSeconds(90))));
        Assert.DoesNotContain(body, stored, StringComparison.Ordinal);
        Assert.Contains("multipart/encrypted", stored, StringComparison.Ordinal);
        Assert.Contains("X-Spam-Status:", stored, StringComparison.Ordinal);
        Assert.Contains(body, await DecryptAsync(alice.Key, stored), StringComparison.Ordinal);
        await AssertExactlyOnceAsync(alice, 1);
        var log = File.ReadAllText(Path.Combine(_stack.LogDirectory, "postfix.log"));
        Assert.Matches(new Regex($@"{queueId}: to=<{Regex.Escape(alice.Email)}>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:{_filterdPort}.*status=sent \(250 2\.0\.0 Ok"), log);
        // XFORWARD reached the re-injection smtpd: it logs the original queue id (IDENT) and client.
        Assert.Matches(new Regex($@"reinject/smtpd\[\d+\]: [0-9A-F]+: client=localhost\[127\.0\.0\.1\], orig_queue_id={queueId}, orig_client=localhost\[127\.0\.0\.1\]"), log);
    }

    [Fact]
    public async Task The_original_clients_helo_is_carried_by_the_reinjected_copies_and_forwarded_onward()
    {
        // Postfix's smtpd writes its own Received line from the connection it has (smtpd.c:
        // state->helo_name, state->name), never from XFORWARD; XFORWARD replaces the logging
        // attributes that go into the queue file (log_helo_name, log_client_name, ...), which
        // Postfix shows in its logs and forwards onward with XFORWARD. So: the re-injected copy's
        // queue file must name the original HELO, seen here where the relay forwards it to the
        // sink; and the original Received line (written by the first smtpd) stays in the copy.
        await ProcessRunner.RunCheckedAsync("postconf", ["-c", _stack.PostfixConfigDirectory, "-e", "smtp_send_xforward_command=yes"]);
        await _stack.ReloadPostfixAsync();
        var ivan = await _stack.CreateAccountAsync($"ivan-{Guid.NewGuid():N}@{MailStack.Domain}");
        string helo = $"helo-{Guid.NewGuid():N}.client.example";
        var queueId = await SendRawAsync(helo, $"MAIL FROM:<{Outside}>", [$"RCPT TO:<{ivan.Email}>", "RCPT TO:<friend@example.org>"], MailStack.BuildMessage(Outside, ivan.Email, "helo", "which client"));

        var remote = Assert.Single(await _sink.WaitForAsync(1, TimeSpan.FromSeconds(90)));
        Assert.Equal(["friend@example.org"], remote.Recipients);
        Assert.Equal(helo, remote.Forward.GetValueOrDefault("HELO"));
        Assert.Equal("127.0.0.1", remote.Forward.GetValueOrDefault("ADDR"));
        Assert.Equal(queueId, remote.Forward.GetValueOrDefault("IDENT")); // the original queue id, kept across the filter
        Assert.Contains($"Received: from {helo} (localhost [127.0.0.1])", remote.Data, StringComparison.Ordinal);

        var stored = Text(Assert.Single(await _stack.WaitForMessagesAsync(ivan, 1, TimeSpan.FromSeconds(90))));
        var header = stored[..stored.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.Contains($"Received: from {helo} (localhost [127.0.0.1])", header, StringComparison.Ordinal);
        Assert.Contains("which client", await DecryptAsync(ivan.Key, stored), StringComparison.Ordinal);
        await AssertExactlyOnceAsync(ivan, 1);
    }

    [Fact]
    public async Task Dsn_parameters_pass_through_the_filter_so_the_success_notice_comes_from_the_last_hop()
    {
        // Postfix's smtp client sends a "relayed" success notice itself when the next hop does
        // not announce DSN. Through a filter without DSN that notice would name the filter hop
        // (its "re-injected" reply) and lose ENVID and ORCPT; passed through, it names the hop
        // that finally takes the copy (the sink, which announces no DSN) with both intact.
        string envid = $"env{Guid.NewGuid():N}";
        string orcpt = $"Friend.Original-{Guid.NewGuid():N}@example.org";
        var queueId = await SendRawAsync("client.example.org", $"MAIL FROM:<{Outside}> RET=HDRS ENVID={envid}", [$"RCPT TO:<friend@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;{orcpt}"], MailStack.BuildMessage(Outside, "friend@example.org", "dsn", "notify me"));

        var both = await _sink.WaitForAsync(2, TimeSpan.FromSeconds(90));
        var copy = Assert.Single(both, m => m.Sender == Outside);
        Assert.Contains("notify me", copy.Data, StringComparison.Ordinal);
        var notice = Assert.Single(both, m => m.Sender.Length == 0);
        Assert.Equal([Outside], notice.Recipients);
        Assert.Contains("report-type=delivery-status", notice.Data, StringComparison.Ordinal);
        Assert.Contains($"Original-Envelope-Id: {envid}", notice.Data, StringComparison.Ordinal);
        Assert.Contains($"Original-Recipient: rfc822;{orcpt}", notice.Data, StringComparison.Ordinal);
        Assert.Contains("Action: relayed", notice.Data, StringComparison.Ordinal);
        Assert.Contains("kept by the sink", notice.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("re-injected", notice.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("notify me", notice.Data, StringComparison.Ordinal); // RET=HDRS
        // No third message: the queue is empty (nothing in flight) and the log shows exactly two
        // final deliveries in this message's chain (the re-injected copy and its notice).
        await _stack.WaitForQueueAsync(q => q.Count == 0);
        Assert.Equal(2, ChainDeliveries(queueId).Count);
        Assert.Equal(2, _sink.Messages.Count);
    }

    [Fact]
    public async Task Gtube_arrives_flagged_as_spam_on_the_outer_header_with_the_body_encrypted()
    {
        var bob = await _stack.CreateAccountAsync($"bob-{Guid.NewGuid():N}@{MailStack.Domain}");
        await _stack.SendAsync(Outside, [bob.Email], MailStack.BuildMessage(Outside, bob.Email, "cheap pills", $"Buy now.\n{Gtube}\n"));
        var stored = Text(Assert.Single(await _stack.WaitForMessagesAsync(bob, 1, TimeSpan.FromSeconds(90))));
        var header = stored[..stored.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.Matches(new Regex("^X-Spam-Flag: YES", RegexOptions.Multiline), header);
        Assert.DoesNotContain(Gtube, stored, StringComparison.Ordinal);
        Assert.Contains(Gtube, await DecryptAsync(bob.Key, stored), StringComparison.Ordinal);
        await AssertExactlyOnceAsync(bob, 1);
    }

    [Fact]
    public async Task One_message_to_two_local_users_and_one_outside_address_gives_each_its_own_copy_in_one_transaction()
    {
        var dave = await _stack.CreateAccountAsync($"dave-{Guid.NewGuid():N}@{MailStack.Domain}");
        var erin = await _stack.CreateAccountAsync($"erin-{Guid.NewGuid():N}@{MailStack.Domain}");
        var body = $"to several {Guid.NewGuid():N}";
        var queueId = await _stack.SendAsync(Outside, [dave.Email, erin.Email, "friend@example.org"], MailStack.BuildMessage(Outside, dave.Email, "several", body));
        foreach (var (owner, other) in new[] { (dave, erin), (erin, dave) })
        {
            var stored = Text(Assert.Single(await _stack.WaitForMessagesAsync(owner, 1, TimeSpan.FromSeconds(90))));
            Assert.Contains(body, await DecryptAsync(owner.Key, stored), StringComparison.Ordinal);
            Assert.True((await TryDecryptAsync(other.Key, stored)).ExitCode != 0, $"{other.Email}'s key decrypted {owner.Email}'s copy");
        }

        var remote = Assert.Single(await _sink.WaitForAsync(1));
        Assert.Equal(["friend@example.org"], remote.Recipients);
        Assert.Contains(body, remote.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("BEGIN PGP MESSAGE", remote.Data, StringComparison.Ordinal);
        await AssertExactlyOnceAsync(dave, 1);
        Assert.Single(await _stack.FetchMessagesAsync(erin.Email, erin.Password));
        Assert.Single(_sink.Messages);
        // all three recipients went to the filter in one delivery (one filter log line per recipient, one relay line per recipient with the same reply)
        var log = File.ReadAllLines(Path.Combine(_stack.LogDirectory, "postfix.log")).Where(l => l.Contains(queueId + ":", StringComparison.Ordinal) && l.Contains($":{_filterdPort}", StringComparison.Ordinal) && l.Contains("status=sent", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, log.Count);
        Assert.Single(log.Select(l => l[l.IndexOf("(250", StringComparison.Ordinal)..]).Distinct());
    }

    [Fact]
    public async Task A_local_user_without_a_usable_key_stays_queued_with_4xx_and_gets_it_encrypted_once_the_key_is_there()
    {
        var grace = await _stack.CreateAccountAsync($"grace-{Guid.NewGuid():N}@{MailStack.Domain}");
        await SetKeyAsync(grace.Email, "not a key");
        var queueId = await _stack.SendAsync(Outside, [grace.Email], MailStack.BuildMessage(Outside, grace.Email, "no key yet", "wait for the key"));
        var deferred = await WaitForLogLineAsync(l => l.Contains(queueId + ":", StringComparison.Ordinal) && l.Contains("status=deferred", StringComparison.Ordinal));
        Assert.Matches(new Regex(@"dsn=4\.7\.5, status=deferred"), deferred);
        Assert.Empty(await _stack.FetchMessagesAsync(grace.Email, grace.Password));

        await SetKeyAsync(grace.Email, grace.Key.PublicKeyArmored);
        await _stack.FlushQueueAsync();
        var stored = Text(Assert.Single(await _stack.WaitForMessagesAsync(grace, 1, TimeSpan.FromSeconds(90))));
        Assert.Contains("wait for the key", await DecryptAsync(grace.Key, stored), StringComparison.Ordinal);
        await AssertExactlyOnceAsync(grace, 1);
    }

    [Fact]
    public async Task A_refusing_reinjection_smtpd_keeps_the_mail_queued_with_4xx_and_it_flows_afterwards()
    {
        var kim = await _stack.CreateAccountAsync($"kim-{Guid.NewGuid():N}@{MailStack.Domain}");
        await ProcessRunner.RunCheckedAsync("postconf", ["-c", _stack.PostfixConfigDirectory, "-P", $"{_reinjectService}/inet/smtpd_recipient_restrictions=reject"]);
        await _stack.ReloadPostfixAsync();
        var queueId = await _stack.SendAsync(Outside, [kim.Email], MailStack.BuildMessage(Outside, kim.Email, "listener refuses", "stays queued"));
        var deferred = await WaitForLogLineAsync(l => l.Contains(queueId + ":", StringComparison.Ordinal) && l.Contains("status=deferred", StringComparison.Ordinal));
        Assert.Contains("451 4.3.0", deferred, StringComparison.Ordinal);
        Assert.Empty(await _stack.FetchMessagesAsync(kim.Email, kim.Password));

        await ProcessRunner.RunCheckedAsync("postconf", ["-c", _stack.PostfixConfigDirectory, "-P", $"{_reinjectService}/inet/smtpd_recipient_restrictions=permit_mynetworks,reject"]);
        await _stack.ReloadPostfixAsync();
        await _stack.FlushQueueAsync();
        Assert.Single(await _stack.WaitForMessagesAsync(kim, 1, TimeSpan.FromSeconds(90)));
        await AssertExactlyOnceAsync(kim, 1);
    }

    [Fact]
    public async Task The_reinjection_smtpd_stopped_for_a_minute_keeps_mail_queued_with_4xx_and_it_all_flows_once_afterwards()
    {
        // The outage lasts MAILSEAL_E2E_REINJECT_OUTAGE seconds (60 unless set).
        var outage = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("MAILSEAL_E2E_REINJECT_OUTAGE"), CultureInfo.InvariantCulture, out int s) ? s : 60);
        var lena = await _stack.CreateAccountAsync($"lena-{Guid.NewGuid():N}@{MailStack.Domain}");
        int reinjectPort = int.Parse(_reinjectService[(_reinjectService.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        await ProcessRunner.RunCheckedAsync("postconf", ["-c", _stack.PostfixConfigDirectory, "-MX", $"{_reinjectService}/inet"]);
        await _stack.ReloadPostfixAsync();
        var stopped = DateTime.UtcNow;
        for (var deadline = stopped + TimeSpan.FromSeconds(30); FreePorts.IsListening(reinjectPort); await Task.Delay(200))
            Assert.True(DateTime.UtcNow < deadline, "the re-injection smtpd still listens after postfix reload");

        const int Count = 5;
        var ids = new List<string>();
        for (int i = 0; i < Count; i++)
            ids.Add(await _stack.SendAsync(Outside, [lena.Email], MailStack.BuildMessage(Outside, lena.Email, $"outage {i}", $"during the outage {i}")));
        foreach (var id in ids)
        {
            var deferred = await WaitForLogLineAsync(l => l.Contains(id + ":", StringComparison.Ordinal) && l.Contains("status=deferred", StringComparison.Ordinal));
            Assert.Matches(new Regex(@"dsn=4\.\d\.\d, status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 451 4\."), deferred);
        }

        Assert.Empty(await _stack.FetchMessagesAsync(lena.Email, lena.Password));
        var queued = await _stack.GetQueueAsync();
        Assert.True(ids.All(id => queued.Any(q => q.QueueId == id)), "a deferred message left the queue during the outage");
        if (stopped + outage > DateTime.UtcNow)
            await Task.Delay(stopped + outage - DateTime.UtcNow);
        Assert.Empty(await _stack.FetchMessagesAsync(lena.Email, lena.Password));

        await ApplyFilterdFragmentAsync(); // the listener is back
        var stored = await FlushUntilDeliveredAsync(lena, Count, TimeSpan.FromSeconds(180));
        foreach (var m in stored)
            Assert.DoesNotContain("during the outage", Text(m), StringComparison.Ordinal);
        // a message filterd accepted while qmgr restarted is parked the same way, all its
        // recipients done: flush until the queue is empty too, then count
        await FlushUntilAsync(async () => (await _stack.GetQueueAsync()).Count == 0, TimeSpan.FromSeconds(120), "the queue to empty");
        await AssertExactlyOnceAsync(lena, Count);
        // each message once: its own body decrypts from exactly one copy, and Postfix handed each
        // queue id to filterd with success exactly once (every other attempt was a 4xx)
        var bodies = new List<string>();
        foreach (var m in await _stack.FetchMessagesAsync(lena.Email, lena.Password))
            bodies.Add(await DecryptAsync(lena.Key, Text(m)));
        for (int i = 0; i < Count; i++)
            Assert.Single(bodies, b => b.Contains($"during the outage {i}", StringComparison.Ordinal));
        var log = File.ReadAllLines(Path.Combine(_stack.LogDirectory, "postfix.log"));
        foreach (var id in ids)
            Assert.Single(log, l => l.Contains(id + ":", StringComparison.Ordinal) && l.Contains($"relay=127.0.0.1[127.0.0.1]:{_filterdPort}", StringComparison.Ordinal) && l.Contains("status=sent", StringComparison.Ordinal));
        int parked = ids.Count(id => log.Any(l => l.Contains(id + ": skipped, still being delivered", StringComparison.Ordinal)));
        _output.WriteLine($"filterd: re-injection smtpd stopped {(DateTime.UtcNow - stopped).TotalSeconds:F0} s; {Count} messages deferred with 4xx, all delivered once afterwards; {parked} parked by the restarted qmgr");
    }

    /// <summary>
    /// Flushes the queue every few seconds until the account's INBOX holds <paramref name="count"/>
    /// messages (bounded by <paramref name="timeout"/>). Why a flush loop and not one flush and a
    /// wait: the postfix reload that brings the re-injection listener back restarts qmgr while
    /// the deferred messages are being retried (every few seconds with the harness's backoff). A
    /// message whose delivery to filterd is still in flight then is locked, and the new qmgr puts
    /// it back into incoming with a time stamp 60 s ahead ("skipped, still being delivered",
    /// qmgr_active.c); incoming is scanned only when triggered (new mail, a flush, qmgr's wakeup
    /// every 300 s), so once the others have flowed nothing picks it up within two minutes.
    /// postqueue -f scans every queue ignoring time stamps: it is picked up as soon as the old
    /// delivery (a 4xx from filterd, or a 250 whose copy is already queued) has let go of it.
    /// </summary>
    private async Task<IReadOnlyList<byte[]>> FlushUntilDeliveredAsync(MailAccount account, int count, TimeSpan timeout)
    {
        await FlushUntilAsync(async () => (await _stack.FetchMessagesAsync(account.Email, account.Password)).Count >= count, timeout, $"{count} messages in {account.Email}'s INBOX");
        return await _stack.FetchMessagesAsync(account.Email, account.Password);
    }

    /// <summary>postqueue -f, then polls <paramref name="done"/> for up to 5 s; again until it holds or <paramref name="timeout"/> passes (then fails with the queue and the logs).</summary>
    private async Task FlushUntilAsync(Func<Task<bool>> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            await _stack.FlushQueueAsync();
            for (var poll = DateTime.UtcNow.AddSeconds(5); DateTime.UtcNow < poll; await Task.Delay(250))
            {
                if (await done())
                    return;
            }
        }

        Assert.Fail($"no {what} after {timeout.TotalSeconds} s of flushing; queue: {System.Text.Json.JsonSerializer.Serialize(await _stack.GetQueueAsync())}\n{_stack.TailLog(MailService.Postfix, 80)}\nfilterd: {string.Join('\n', (_daemon?.Log() ?? string.Empty).Split('\n').TakeLast(40))}");
    }

    [Fact]
    public async Task Two_instances_behind_one_transport_act_as_one_when_the_first_is_killed_under_load()
    {
        // Two daemons with the same configuration (one PostgreSQL key store), both as next hops of
        // the one filter transport (Postfix 3.5+: a list of destinations, tried in order). The
        // first is killed with SIGKILL while mail flows: the rest goes to the second, nothing is lost.
        int secondPort = FreePorts.Take(1)[0];
        await using var second = await FilterdProcess.StartAsync(_stack, secondPort, ["--config", _config]);
        await ProcessRunner.RunCheckedAsync("postconf", ["-c", _stack.PostfixConfigDirectory, "-P",
            $"{_stack.FragmentVariables["SMTP_SERVICE"]}/inet/content_filter=mailseal-filterd:[127.0.0.1]:{_filterdPort},[127.0.0.1]:{secondPort}"]);
        await _stack.ReloadPostfixAsync();
        var pair = await _stack.CreateAccountAsync($"pair-{Guid.NewGuid():N}@{MailStack.Domain}");
        const int Count = 30;
        var sends = SendLoad(pair, "pair", Count, concurrency: Count);
        await Task.WhenAll(sends.Take(Count / 3));
        await Task.Delay(TimeSpan.FromSeconds(1));
        _daemon!.Signal("KILL");
        await _daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(sends);
        await _stack.FlushQueueAsync();

        var all = await AssertEachArrivedAsync(pair, "pair", Count, maxDuplicates: 4, TimeSpan.FromSeconds(240));
        Assert.All(all, m => Assert.Contains("multipart/encrypted", Text(m), StringComparison.Ordinal));
        int duplicates = all.Count - Count;
        var log = File.ReadAllText(Path.Combine(_stack.LogDirectory, "postfix.log"));
        int viaSecond = Regex.Matches(log, $@"relay=127\.0\.0\.1\[127\.0\.0\.1\]:{secondPort},.*status=sent").Count;
        Assert.True(viaSecond > 0, "no message went through the second instance after the first was killed");
        _output.WriteLine($"filterd pair: {Count} sent, {all.Count} delivered, {duplicates} duplicate(s), {viaSecond} through the second instance");
        _daemon = await FilterdProcess.StartAsync(_stack, _filterdPort, ["--config", _config]);
    }

    [Fact]
    public async Task A_load_of_10_kb_messages_through_postfix_arrives_once_each_encrypted_with_the_daemons_memory_bounded()
    {
        // The issue's load is 10,000 messages (MAILSEAL_E2E_FILTERD_LOAD=10000); the default keeps
        // the suite's time: the count that shows flat memory on the shared 2-core machine.
        int count = int.TryParse(Environment.GetEnvironmentVariable("MAILSEAL_E2E_FILTERD_LOAD"), CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 300;
        const long MaxRssBytes = 150L * 1024 * 1024;
        await _daemon!.DisposeAsync();
        _daemon = await FilterdProcess.StartAsync(_stack, _filterdPort, ["--config", _config, "--spam-check", "false"]);
        var heavy = await _stack.CreateAccountAsync($"heavy-{Guid.NewGuid():N}@{MailStack.Domain}");
        using var sampling = new CancellationTokenSource();
        long startRss = Rss(_daemon.Pid), peakRss = startRss;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, Rss(_daemon.Pid));
                try
                {
                    await Task.Delay(250, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(SendLoad(heavy, "heavy", count, concurrency: 8));
        var sent = watch.Elapsed;
        var all = await AssertEachArrivedAsync(heavy, "heavy", count, maxDuplicates: 0, TimeSpan.FromSeconds(120 + (count / 5)));
        var delivered = watch.Elapsed;
        await sampling.CancelAsync();
        await sampler;
        Assert.All(all, m => Assert.Contains("-----BEGIN PGP MESSAGE-----", Text(m), StringComparison.Ordinal));
        Assert.True(peakRss < MaxRssBytes, $"mailseal-filterd's RSS reached {peakRss / 1048576.0:F1} MiB (start {startRss / 1048576.0:F1} MiB)");
        _output.WriteLine($"filterd load through Postfix: {count} x 10 KB, sent in {sent.TotalSeconds:F0} s, all delivered once in {delivered.TotalSeconds:F0} s ({count / delivered.TotalSeconds:F1} msg/s end to end); filterd RSS {startRss / 1048576.0:F1} MiB at start, peak {peakRss / 1048576.0:F1} MiB");
    }

    private static long Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0; // the process is gone
        }
    }

    [Fact]
    public async Task Sigkill_in_the_middle_of_a_load_then_a_restart_loses_nothing()
    {
        var load = await _stack.CreateAccountAsync($"load-{Guid.NewGuid():N}@{MailStack.Domain}");
        const int Count = 40;
        await Task.WhenAll(SendLoad(load, "load", Count, concurrency: Count));
        await Task.Delay(TimeSpan.FromSeconds(1));
        _daemon!.Signal("KILL");
        await _daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(2));
        _daemon = await FilterdProcess.StartAsync(_stack, _filterdPort, ["--config", _config]);
        await _stack.FlushQueueAsync();

        // A duplicate is possible only for a message whose copies were accepted just before the kill.
        var all = await AssertEachArrivedAsync(load, "load", Count, maxDuplicates: 4, TimeSpan.FromSeconds(240));
        int duplicates = all.Count - Count;
        _output.WriteLine($"filterd SIGKILL under load: {Count} sent, {all.Count} delivered, {duplicates} duplicate(s)");
    }

    /// <summary>Sends <paramref name="count"/> 10 KB messages "TAG 00000".. to the account, at most <paramref name="concurrency"/> at once.</summary>
    private List<Task<string>> SendLoad(MailAccount account, string tag, int count, int concurrency)
    {
        var gate = new SemaphoreSlim(concurrency);
        return Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                return await _stack.SendAsync(Outside, [account.Email], MailStack.BuildMessage(Outside, account.Email, $"{tag} {i:D5}", $"message {i:D5} " + new string('x', 10_000)));
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
    }

    /// <summary>Waits until every "TAG nnnnn" message is in the mailbox and the queue is empty; none may be missing, at most <paramref name="maxDuplicates"/> doubled.</summary>
    private async Task<IReadOnlyList<byte[]>> AssertEachArrivedAsync(MailAccount account, string tag, int count, int maxDuplicates, TimeSpan timeout)
    {
        await _stack.WaitForMessagesAsync(account, count, timeout);
        // An empty queue means nothing more can arrive; every delivery Postfix logged must be in the mailbox.
        var delivered = await _stack.WaitForQueueEmptyAndDeliveriesAsync(account.Email, count, TimeSpan.FromSeconds(120));
        var all = await _stack.FetchMessagesAsync(account.Email, account.Password);
        Assert.Equal(delivered.Count, all.Count);
        var subjects = all.Select(m => Regex.Match(Text(m), $@"^Subject: ({tag} \d{{5}})", RegexOptions.Multiline).Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var missing = Enumerable.Range(0, count).Select(i => $"{tag} {i:D5}").Where(x => !subjects.Contains(x)).ToList();
        Assert.True(missing.Count == 0, $"lost {missing.Count}: " + string.Join(", ", missing.Take(20)));
        Assert.InRange(all.Count - count, 0, maxDuplicates);
        return all;
    }

    /// <summary>
    /// Issue #10 case 3 through filterd: an SMTPUTF8 session to a U-label address, the account
    /// and its key in the accounts table under the A-label (as mailseal-admin stores them). Postfix's
    /// smtp client hands filterd the recipient as the client wrote it (filterd offers SMTPUTF8);
    /// filterd finds the key under the A-label and Dovecot stores ciphertext. A domain that fails
    /// IDNA gets a 4.3.5 from filterd and stays queued.
    /// </summary>
    [Fact]
    public async Task Mail_to_a_unicode_domain_over_smtputf8_is_stored_encrypted_and_a_domain_failing_idna_stays_queued()
    {
        var local = $"idn-{Guid.NewGuid():N}"[..16];
        var bob = await _stack.CreateAccountAsync($"{local}@xn--mil-qla.example");
        var recipient = $"{local}@MÄIL.example";
        await _stack.ApplyPostfixFragmentAsync("tests/Mailseal.EndToEnd.Tests/TestData/postfix/smtputf8-idn.postconf", new Dictionary<string, string>
        {
            ["IDN_DOMAINS"] = "mäil.example, xn--mil-qla.example",
            ["IDN_MAILBOXES"] = $"{local}@mäil.example=ok",
        });
        var body = $"unicode domain through filterd {Guid.NewGuid():N}";
        var queueId = await SendRawAsync("client.example.org", $"MAIL FROM:<{Outside}> SMTPUTF8", [$"RCPT TO:<{recipient}>"], MailStack.BuildMessage(Outside, recipient, "idn", body));

        var stored = Text(Assert.Single(await _stack.WaitForMessagesAsync(bob, 1, TimeSpan.FromSeconds(90))));
        Assert.DoesNotContain(body, stored, StringComparison.Ordinal);
        Assert.Contains(body, await DecryptAsync(bob.Key, stored), StringComparison.Ordinal);
        var handed = await WaitForLogLineAsync(l => l.Contains(queueId + ":", StringComparison.Ordinal) && l.Contains($"relay=127.0.0.1[127.0.0.1]:{_filterdPort}", StringComparison.Ordinal));
        Assert.Contains($"to=<{recipient}>", handed, StringComparison.Ordinal);
        Assert.Contains("status=sent", handed, StringComparison.Ordinal);
        await _stack.WaitForSettledDeliveriesAsync(bob.Email, 1, TimeSpan.FromSeconds(90));

        var bad = "bob@mä\u00ADil.example"; // a soft hyphen: UTS #46 drops it, so to other software this is mäil.example
        var badBody = $"soft hyphen {Guid.NewGuid():N}";
        var badId = await SendRawAsync("client.example.org", $"MAIL FROM:<{Outside}> SMTPUTF8", [$"RCPT TO:<{bad}>"], MailStack.BuildMessage(Outside, bad, "bad idna", badBody));
        var deferred = await WaitForLogLineAsync(l => l.Contains(badId + ":", StringComparison.Ordinal) && l.Contains("status=deferred", StringComparison.Ordinal));
        Assert.Contains("4.3.5", deferred, StringComparison.Ordinal);
        Assert.DoesNotContain(_sink.Messages, m => m.Data.Contains(badBody, StringComparison.Ordinal));
        await ProcessRunner.RunCheckedAsync("postsuper", ["-c", _stack.PostfixConfigDirectory, "-d", badId]);
    }

    /// <summary>
    /// Recipient forms Postfix delivers to a local mailbox though they are not written as it
    /// (issue #10): a trailing dot, and routing through a domain of Postfix's own (localhost is
    /// its mydestination here, [127.0.0.1] its inet_interfaces). Postfix's SMTP client hands
    /// filterd the queued form (quoted where its internal form needs it: "bob@example.org"@localhost);
    /// Dovecot must store ciphertext that gpg decrypts.
    /// </summary>
    [Theory]
    [InlineData("{0}@{1}.", "{0}@{1}")]
    [InlineData("{0}%{1}@localhost", "{0}%{1}@localhost")]
    [InlineData("\"{0}@{1}\"@localhost", "\"{0}@{1}\"@localhost")]
    [InlineData("{0}@{1}@[127.0.0.1]", "\"{0}@{1}\"@[127.0.0.1]")]
    [InlineData("{1}!{0}@localhost", "{1}!{0}@localhost")]
    public async Task A_form_postfix_delivers_to_a_local_mailbox_is_stored_encrypted_never_in_plaintext(string form, string handedForm)
    {
        var local = $"route-{Guid.NewGuid():N}"[..16];
        var bob = await _stack.CreateAccountAsync($"{local}@{MailStack.Domain}");
        var recipient = string.Format(CultureInfo.InvariantCulture, form, local, MailStack.Domain);
        var body = $"routed form through filterd {Guid.NewGuid():N}";
        var queueId = await SendRawAsync("client.example.org", $"MAIL FROM:<{Outside}>", [$"RCPT TO:<{recipient}>"], MailStack.BuildMessage(Outside, bob.Email, "routed", body));

        var stored = Text(Assert.Single(await _stack.WaitForMessagesAsync(bob, 1, TimeSpan.FromSeconds(90))));
        Assert.DoesNotContain(body, stored, StringComparison.Ordinal);
        Assert.Contains(body, await DecryptAsync(bob.Key, stored), StringComparison.Ordinal);
        var handed = await WaitForLogLineAsync(l => l.Contains(queueId + ":", StringComparison.Ordinal) && l.Contains($"relay=127.0.0.1[127.0.0.1]:{_filterdPort}", StringComparison.Ordinal));
        Assert.Contains("status=sent", handed, StringComparison.Ordinal);
        Assert.Contains($"to=<{string.Format(CultureInfo.InvariantCulture, handedForm, local, MailStack.Domain)}>", handed, StringComparison.Ordinal);
        Assert.DoesNotContain(_sink.Messages, m => m.Data.Contains(body, StringComparison.Ordinal));
        await AssertExactlyOnceAsync(bob, 1);
    }

    private Task ApplyFilterdFragmentAsync() =>
        _stack.ApplyPostfixFragmentAsync("postfix/mailseal-filterd.postconf", new Dictionary<string, string>
        {
            ["FILTERD_HOST"] = "127.0.0.1",
            ["FILTERD_PORT"] = _filterdPort.ToString(CultureInfo.InvariantCulture),
            ["FILTERD_PROCESSES"] = "4",
            ["REINJECT_SERVICE"] = _reinjectService,
            ["MESSAGE_SIZE_LIMIT"] = MessageSizeLimit.ToString(CultureInfo.InvariantCulture),
            ["REINJECT_SIZE_LIMIT"] = ReinjectSizeLimit.ToString(CultureInfo.InvariantCulture),
        });

    private async Task<string> SendRawAsync(string helo, string mail, IReadOnlyList<string> rcpts, string message)
    {
        await using var client = await SmtpTestClient.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _stack.SmtpPort));
        Assert.StartsWith("220", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO " + helo));
        foreach (var command in new[] { mail }.Concat(rcpts))
        {
            var reply = await client.CommandAsync(command);
            Assert.True(reply is not null && reply.StartsWith('2'), $"{command}: {reply}");
        }

        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync(message.Replace("\r\n.", "\r\n..", StringComparison.Ordinal) + ".\r\n");
        var done = await client.ReadReplyAsync(TimeSpan.FromSeconds(60));
        Assert.True(done is not null && done.StartsWith("250", StringComparison.Ordinal), $"end of data: {done}");
        await client.CommandAsync("QUIT");
        return TestClients.QueueIdOf(done) ?? throw new Xunit.Sdk.XunitException("no queue id in " + done);
    }

    private async Task SetKeyAsync(string email, string key)
    {
        await using var db = await _stack.OpenDatabaseAsync();
        await using var cmd = new NpgsqlCommand("UPDATE users SET pgpkey = @key WHERE email = @email", db);
        cmd.Parameters.AddWithValue("key", key);
        cmd.Parameters.AddWithValue("email", email);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    /// <summary>
    /// The status=sent lines of <paramref name="queueId"/>'s descendants: the copies filterd
    /// re-injected ("re-injected as ID ...") and the notices Postfix made for them ("delivery status
    /// notification: ID"), not the hand-over to filterd itself.
    /// </summary>
    private List<string> ChainDeliveries(string queueId)
    {
        var lines = File.ReadAllLines(Path.Combine(_stack.LogDirectory, "postfix.log"));
        var chain = new HashSet<string>(StringComparer.Ordinal) { queueId };
        foreach (var line in lines)
        {
            foreach (var id in chain.ToList())
            {
                if (!line.Contains($" {id}: ", StringComparison.Ordinal))
                    continue;
                var reinjected = Regex.Match(line, @"re-injected as ([0-9A-Za-z ]+)\)");
                if (reinjected.Success)
                    chain.UnionWith(reinjected.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                var notice = Regex.Match(line, @"notification: ([0-9A-Za-z]+)");
                if (notice.Success)
                    chain.Add(notice.Groups[1].Value);
            }
        }

        return lines.Where(l => l.Contains(" status=sent ", StringComparison.Ordinal) && !l.Contains(" re-injected", StringComparison.Ordinal)
            && chain.Any(id => l.Contains($" {id}: ", StringComparison.Ordinal))).ToList();
    }

    private async Task<string> WaitForLogLineAsync(Func<string, bool> match)
    {
        var log = Path.Combine(_stack.LogDirectory, "postfix.log");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            if (File.Exists(log) && File.ReadAllLines(log).LastOrDefault(match) is { } line)
                return line;
            Assert.True(DateTime.UtcNow < deadline, $"no such line in {log} within 90 s; filterd: {_daemon?.Log()}");
            await Task.Delay(200);
        }
    }

    private async Task AssertExactlyOnceAsync(MailAccount account, int count)
    {
        // 120 s, not the default 30: a message delivered while a postfix reload restarts qmgr is
        // left in incoming until the new qmgr's next scan (seen here: removed 33 s after "sent").
        await _stack.WaitForSettledDeliveriesAsync(account.Email, count, TimeSpan.FromSeconds(120));
        Assert.Equal(count, (await _stack.FetchMessagesAsync(account.Email, account.Password)).Count);
    }

    private static async Task<string> DecryptAsync(TestKey key, string stored)
    {
        var r = await TryDecryptAsync(key, stored);
        Assert.True(r.ExitCode == 0, $"gpg could not decrypt the copy with {key.Email}'s key: {r.StandardError}");
        return r.StandardOutput;
    }

    private static Task<ProcessResult> TryDecryptAsync(TestKey key, string stored)
    {
        var begin = stored.IndexOf("-----BEGIN PGP MESSAGE-----", StringComparison.Ordinal);
        var end = stored.IndexOf("-----END PGP MESSAGE-----", StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "no armored OpenPGP message in the stored copy");
        var armored = stored[begin..(end + "-----END PGP MESSAGE-----".Length)] + "\n";
        return ProcessRunner.RunAsync("gpg", ["--homedir", key.GnupgHome, "--batch", "--quiet", "--no-tty", "--decrypt"], armored);
    }

    private static string Text(byte[] raw) => Encoding.UTF8.GetString(raw);
}
