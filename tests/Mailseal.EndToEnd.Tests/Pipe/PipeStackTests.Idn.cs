using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Mailseal.EndToEnd.Tests.Harness;

namespace Mailseal.EndToEnd.Tests.Pipe;

/// <summary>
/// Internationalised domains through the real Postfix (issue #10 case 3): an SMTPUTF8 session
/// sends to a U-label address; what Postfix hands pipe(8) is recorded by a wrapper around the
/// tool; the account and its key live under the A-label spelling, as mailseal-admin stores them;
/// Dovecot stores ciphertext that gpg decrypts. A domain that fails IDNA, and a local recipient
/// without a key, stay queued with a 4.x.x reason and reach nobody in plaintext.
/// </summary>
public sealed partial class PipeStackTests
{
    private const string IdnDomain = "mäil.example";
    private const string IdnDomainAscii = "xn--mil-qla.example";

    /// <summary>
    /// The recipient as the client spells it ({0} = the local part), where bob's key is kept
    /// (the accounts table or the key folder, both under the A-label), and the spelling of the
    /// domain in local_domains.
    /// </summary>
    [Theory]
    [InlineData("{0}@mäil.example", "database", "mäil.example")]
    [InlineData("{0}@mäil.example", "folder", "xn--mil-qla.example")]
    [InlineData("{0}@MÄIL.Example", "database", "xn--mil-qla.example")]
    [InlineData("{0}@MÄIL.Example", "folder", "mäil.example")]
    public async Task Mail_to_a_unicode_domain_over_smtputf8_is_stored_encrypted_to_the_key_kept_under_the_a_label(string spelling, string keyStore, string localDomain)
    {
        var local = $"idn-{Guid.NewGuid():N}"[..16];
        var bob = await _stack.CreateAccountAsync($"{local}@{IdnDomainAscii}");
        await ApplyIdnFragmentAsync($"{IdnDomain}, {IdnDomainAscii}", [$"{local}@{IdnDomain}"]);
        await WriteIdnConfigAsync(localDomain, database: keyStore == "database");
        if (keyStore == "folder")
            await InstallKeyFileAsync($"{local}@{IdnDomainAscii}.asc", bob.Key.PublicKeyArmored);
        var argv = await RecordPipeArgumentsAsync();

        var recipient = string.Format(CultureInfo.InvariantCulture, spelling, local);
        var body = $"to a unicode domain {Guid.NewGuid():N}";
        var queueId = await SendUtf8Async(Outside, [recipient], MailStack.BuildMessage(Outside, recipient, "idn", body));

        var stored = Text(Assert.Single(await _stack.WaitForMessagesAsync(bob, 1, TimeSpan.FromSeconds(60))));
        Assert.DoesNotContain(body, stored, StringComparison.Ordinal);
        Assert.Contains("multipart/encrypted", stored, StringComparison.Ordinal);
        Assert.Contains(body, await DecryptAsync(bob.Key, stored), StringComparison.Ordinal);

        // What Postfix 3.7 handed pipe(8) as ${recipient}: the address as the client sent it, UTF-8 and case kept.
        var handed = await ReadRecordedRecipientAsync(argv, queueId);
        Assert.Equal(recipient, handed);
        await _stack.WaitForSettledDeliveriesAsync(bob.Email, 1, TimeSpan.FromSeconds(60)); // the copy comes back to the A-label
        Assert.Single(await _stack.FetchMessagesAsync(bob.Email, bob.Password));
    }

    [Fact]
    public async Task A_unicode_recipient_of_a_local_domain_without_a_key_stays_queued_with_4_7_5_and_nothing_goes_out()
    {
        var local = $"nokey-{Guid.NewGuid():N}"[..16];
        var recipient = $"{local}@{IdnDomain}";
        await ApplyIdnFragmentAsync($"{IdnDomain}, {IdnDomainAscii}", [recipient]);
        await WriteIdnConfigAsync(IdnDomain, database: true);

        var queueId = await SendUtf8Async(Outside, [recipient], MailStack.BuildMessage(Outside, recipient, "no key", "kept queued"));
        var deferred = await WaitForLogLineAsync(l => l.Contains(queueId + ":", StringComparison.Ordinal) && l.Contains("relay=mailseal-pipe", StringComparison.Ordinal) && l.Contains("status=deferred", StringComparison.Ordinal));
        Assert.Contains("dsn=4.7.5", deferred, StringComparison.Ordinal);
        Assert.Contains($"no key for {local}@{IdnDomainAscii}", deferred, StringComparison.Ordinal);
        Assert.Contains(queueId, (await _stack.GetQueueAsync()).Select(m => m.QueueId));
        Assert.Empty(_sink.Messages);
        await DeleteQueuedAsync(queueId);
    }

    /// <summary>
    /// Recipients whose domain fails IDNA: Postfix (ICU, UTS #46) accepts them, and with the
    /// domain unlisted they are not its own, so they go to the content filter as mail for
    /// elsewhere. Mailseal cannot tell which domain they mean: 4.3.5, queued, nothing relayed.
    /// </summary>
    [Theory]
    [InlineData("mä\u00ADil.example")] // a soft hyphen, which UTS #46 drops: mäil.example to other software
    [InlineData("mä\u200Bil.example")] // a zero-width space
    public async Task A_domain_that_fails_idna_is_deferred_with_4_3_5_and_never_relayed_in_plaintext(string domain)
    {
        await ApplyIdnFragmentAsync($"{IdnDomain}, {IdnDomainAscii}", [$"someone@{IdnDomain}"]);
        await WriteIdnConfigAsync(IdnDomain, database: true);
        var argv = await RecordPipeArgumentsAsync();
        var recipient = $"bob@{domain}";
        var body = $"idna garbage {Guid.NewGuid():N}";

        var queueId = await SendUtf8Async(Outside, [recipient], MailStack.BuildMessage(Outside, recipient, "bad idna", body));
        var deferred = await WaitForLogLineAsync(l => l.Contains(queueId + ":", StringComparison.Ordinal) && l.Contains("relay=mailseal-pipe", StringComparison.Ordinal) && l.Contains("status=deferred", StringComparison.Ordinal));
        Assert.Contains("dsn=4.3.5", deferred, StringComparison.Ordinal);
        Assert.Equal(recipient, await ReadRecordedRecipientAsync(argv, queueId));
        Assert.Contains(queueId, (await _stack.GetQueueAsync()).Select(m => m.QueueId));
        Assert.Empty(_sink.Messages);
        await DeleteQueuedAsync(queueId);
    }

    /// <summary>
    /// Postfix casefolds before it compares: faß.example is its fass.example, so mail to
    /// bob@faß.example goes to bob@fass.example's mailbox check and transport. Before the fix,
    /// Mailseal read the domain as xn--fa-hia.example, "not local", and passed it in plaintext.
    /// </summary>
    [Fact]
    public async Task A_spelling_postfix_casefolds_to_a_local_domain_is_encrypted_not_passed()
    {
        const string Folded = "fass.example";
        var local = $"fold-{Guid.NewGuid():N}"[..16];
        var bob = await _stack.CreateAccountAsync($"{local}@{Folded}");
        await ApplyIdnFragmentAsync(Folded, [$"{local}@{Folded}"]);
        await WriteIdnConfigAsync(Folded, database: true);
        var argv = await RecordPipeArgumentsAsync();
        var recipient = $"{local}@faß.example";
        var body = $"casefolded {Guid.NewGuid():N}";

        var queueId = await SendUtf8Async(Outside, [recipient], MailStack.BuildMessage(Outside, recipient, "fold", body));
        var handed = await ReadRecordedRecipientAsync(argv, queueId);
        Assert.Equal(recipient, handed);
        var line = await WaitForLogLineAsync(l => l.Contains(queueId + ":", StringComparison.Ordinal) && l.Contains("relay=mailseal-pipe", StringComparison.Ordinal) && l.Contains("status=", StringComparison.Ordinal));
        Assert.Contains("status=sent", line, StringComparison.Ordinal);

        // The copy is re-injected to the A-label of the spelling received (xn--fa-hia.example),
        // which this Postfix does not list, so it is relayed to the sink: wherever it goes, no
        // byte of the body is in the clear. Wait for the copy's first delivery attempt to end
        // (a status line for this unique local part from a transport other than the pipe).
        await WaitForLogLineAsync(l => l.Contains($"to=<{local}@", StringComparison.OrdinalIgnoreCase) && l.Contains(" status=", StringComparison.Ordinal)
            && !l.Contains("relay=mailseal-pipe", StringComparison.Ordinal) && !l.Contains(queueId + ":", StringComparison.Ordinal));
        foreach (var stored in await _stack.FetchMessagesAsync(bob.Email, bob.Password))
        {
            var text = Text(stored);
            Assert.DoesNotContain(body, text, StringComparison.Ordinal);
            Assert.Contains(body, await DecryptAsync(bob.Key, text), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(_sink.Messages, m => m.Data.Contains(body, StringComparison.Ordinal));
        foreach (var m in await _stack.GetQueueAsync())
            await DeleteQueuedAsync(m.QueueId);
    }

    private Task ApplyIdnFragmentAsync(string domains, IEnumerable<string> mailboxes) =>
        _stack.ApplyPostfixFragmentAsync("tests/Mailseal.EndToEnd.Tests/TestData/postfix/smtputf8-idn.postconf", new Dictionary<string, string>
        {
            ["IDN_DOMAINS"] = domains,
            ["IDN_MAILBOXES"] = string.Join(", ", mailboxes.Select(m => m + "=ok")),
        });

    /// <summary>This test's configuration: local_domains with the given spelling; keys from the accounts table, or (database off) from the key folder alone.</summary>
    private async Task WriteIdnConfigAsync(string localDomain, bool database)
    {
        var tmp = _configFile + ".tmp";
        await File.WriteAllTextAsync(tmp, $"""
            database = {(database ? _stack.ReaderConnectionString : string.Empty)}
            local_domains = {MailStack.Domain}, {localDomain}
            key_dir = {_stateDirectory}

            [pipe]
            spamd = inet:127.0.0.1:{_stack.SpamdPort}
            postfix_config = {_stack.PostfixConfigDirectory}

            """);
        await ProcessRunner.RunCheckedAsync("chown", [$"root:{MailStack.PipeUser}", tmp]);
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.Move(tmp, _configFile, overwrite: true);
    }

    private async Task InstallKeyFileAsync(string name, string armored)
    {
        var path = Path.Combine(_stateDirectory, name);
        await File.WriteAllTextAsync(path, armored);
        await ProcessRunner.RunCheckedAsync("chown", [$"root:{MailStack.PipeUser}", path]);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
    }

    /// <summary>
    /// Puts a wrapper in front of mailseal-pipe in master.cf that writes its arguments (one per
    /// line, after the queue id) to a file per run, then execs the tool; returns the folder.
    /// </summary>
    private async Task<string> RecordPipeArgumentsAsync()
    {
        var folder = Path.Combine(_stateDirectory, "argv");
        await ProcessRunner.RunCheckedAsync("install", ["-d", "-m", "750", "-o", MailStack.PipeUser, "-g", MailStack.PipeUser, folder]);
        var wrapper = Path.Combine(_stateDirectory, "record-argv.sh");
        await File.WriteAllTextAsync(wrapper, $$"""
            #!/bin/sh
            printf '%s\n' "$@" > '{{folder}}/run-'$$
            exec '{{_tool}}' "$@"

            """);
        File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);
        await ProcessRunner.RunCheckedAsync("postconf", ["-c", _stack.PostfixConfigDirectory, "-M",
            $"mailseal-pipe/unix=mailseal-pipe unix - n n - - pipe flags=Rq user={MailStack.PipeUser} argv={wrapper} --config {_configFile} --reinject smtp --reinject-smtp inet:{_reinjectService} -q ${{queue_id}} -f ${{sender}} -- ${{recipient}}"]);
        await _stack.ReloadPostfixAsync();
        return folder;
    }

    /// <summary>The ${recipient} pipe(8) gave the run for <paramref name="queueId"/> (the argument after "--").</summary>
    private static async Task<string> ReadRecordedRecipientAsync(string folder, string queueId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                var args = (await File.ReadAllTextAsync(file, Encoding.UTF8)).TrimEnd('\n').Split('\n');
                var q = Array.IndexOf(args, "-q");
                var dashes = Array.IndexOf(args, "--");
                if (q >= 0 && q + 1 < args.Length && args[q + 1] == queueId && dashes >= 0 && dashes + 1 < args.Length)
                    return args[dashes + 1];
            }

            Assert.True(DateTime.UtcNow < deadline, $"pipe(8) did not run mailseal-pipe for {queueId} within 60 s");
            await Task.Delay(200);
        }
    }

    private Task DeleteQueuedAsync(string queueId) =>
        ProcessRunner.RunCheckedAsync("postsuper", ["-c", _stack.PostfixConfigDirectory, "-d", queueId]);

    /// <summary>
    /// One SMTPUTF8 transaction written byte for byte (a client library may re-encode the
    /// domain: MailKit turns it into an A-label without SMTPUTF8, and ICU's mapping would drop a
    /// soft hyphen); returns Postfix's queue id.
    /// </summary>
    private async Task<string> SendUtf8Async(string from, IEnumerable<string> to, string message)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _stack.SmtpPort, cts.Token);
        await using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, new UTF8Encoding(false), false, 1024, leaveOpen: true);
        async Task<string> ReplyAsync()
        {
            var all = new StringBuilder();
            string line;
            do
            {
                line = await reader.ReadLineAsync(cts.Token) ?? throw new IOException("the server closed the connection: " + all);
                all.Append(line).Append('\n');
            }
            while (line.Length > 3 && line[3] == '-');
            return all.ToString();
        }

        async Task<string> CommandAsync(string command, string expect)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), cts.Token);
            var reply = await ReplyAsync();
            Assert.True(reply.StartsWith(expect, StringComparison.Ordinal), $"{command} -> {reply}");
            return reply;
        }

        Assert.StartsWith("220", await ReplyAsync(), StringComparison.Ordinal);
        Assert.Contains("SMTPUTF8", await CommandAsync("EHLO client.example.org", "250"), StringComparison.Ordinal);
        await CommandAsync($"MAIL FROM:<{from}> SMTPUTF8", "250");
        foreach (var r in to)
            await CommandAsync($"RCPT TO:<{r}>", "250");
        await CommandAsync("DATA", "354");
        var data = Regex.Replace(message.ReplaceLineEndings("\r\n"), "^\\.", "..", RegexOptions.Multiline);
        var done = await CommandAsync(data.TrimEnd('\r', '\n') + "\r\n.", "250");
        await CommandAsync("QUIT", "221");
        return TestClients.QueueIdOf(done) ?? throw new Xunit.Sdk.XunitException("no queue id in " + done);
    }
}
