using System.Globalization;
using System.Text;
using System.Text.Json;
using Mailseal.Core.Accounts;
using Mailseal.Testing;
using Npgsql;
using Xunit.Sdk;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>Postfix 3.7 with its own config directory and queue, configured from the shipped postfix/ fragments; its queue and its log. Part of <see cref="MailStack"/>, which owns the ports, directories and lifecycle.</summary>
internal sealed class PostfixServer
{
    private readonly MailStack _stack;

    internal PostfixServer(MailStack stack) => _stack = stack;

    internal async Task ConfigureAsync(CancellationToken ct)
    {
        var t = _stack.TempDirectory;
        var pf = _stack.PostfixConfigDirectory;
        await File.WriteAllTextAsync(Path.Combine(pf, "main.cf"), $"""
            # Harness-only settings; everything Mailseal ships comes from postfix/ through postfix/apply.sh.
            compatibility_level = 3.6
            queue_directory = {_stack.PostfixQueueDirectory}
            data_directory = {t}/lib/postfix
            maillog_file = {_stack.LogDirectory}/postfix.log
            maillog_file_prefixes = /var, /dev/stdout, {_stack.LogDirectory}
            myhostname = {MailStack.HostName}
            mydomain = {MailStack.Domain}
            myorigin = $myhostname
            mydestination = localhost
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            alias_maps =
            alias_database =
            biff = no
            append_dot_mydomain = no
            smtputf8_enable = no
            smtpd_banner = $myhostname ESMTP mailseal-e2e
            smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
            # the stack never sends mail off the machine
            default_transport = error:mailseal end-to-end stack delivers locally only
            relay_transport = error:mailseal end-to-end stack delivers locally only
            # retry in seconds, so fault tests finish quickly
            queue_run_delay = 2s
            minimal_backoff_time = 2s
            maximal_backoff_time = 4s
            lmtp_connect_timeout = 5s

            """, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(pf, "master.cf"), $"""
            # service type  private unpriv chroot wakeup maxproc command + args   (chroot n: NOTES.md pitfall 4)
            127.0.0.1:{_stack.SmtpPort} inet n - n - - smtpd
            pickup     unix  n       -       n       60      1       pickup
            cleanup    unix  n       -       n       -       0       cleanup
            qmgr       unix  n       -       n       300     1       qmgr
            tlsmgr     unix  -       -       n       1000?   1       tlsmgr
            rewrite    unix  -       -       n       -       -       trivial-rewrite
            bounce     unix  -       -       n       -       0       bounce
            defer      unix  -       -       n       -       0       bounce
            trace      unix  -       -       n       -       0       bounce
            verify     unix  -       -       n       -       1       verify
            flush      unix  n       -       n       1000?   0       flush
            proxymap   unix  -       -       n       -       -       proxymap
            proxywrite unix  -       -       n       -       1       proxymap
            smtp       unix  -       -       n       -       -       smtp
            relay      unix  -       -       n       -       -       smtp
            showq      unix  n       -       n       -       -       showq
            error      unix  -       -       n       -       -       error
            retry      unix  -       -       n       -       -       error
            discard    unix  -       -       n       -       -       discard
            local      unix  -       n       n       -       -       local
            virtual    unix  -       n       n       -       -       virtual
            lmtp       unix  -       -       n       -       -       lmtp
            anvil      unix  -       -       n       -       1       anvil
            scache     unix  -       -       n       -       1       scache
            postlog    unix-dgram n  -       n       -       1       postlogd

            """, ct).ConfigureAwait(false);
        await _stack.ApplyFragmentsAsync(
            pf,
            ["postfix/mailseal-pgsql-mailboxes.cf", "postfix/mailseal-pgsql-aliases.cf", "postfix/mailseal-virtual-lmtp.postconf", "postfix/mailseal-submission.postconf"],
            ct: ct).ConfigureAwait(false);
        foreach (var f in new[] { "main.cf", "master.cf" })
        {
            File.Copy(Path.Combine(pf, f), Path.Combine(t, "etc", "postfix-base", f), overwrite: true);
        }

        using (await StackLock.AcquireAsync(ct).ConfigureAwait(false))
        {
            await AddAlternateConfigDirectoryAsync(pf, ct).ConfigureAwait(false);
        }

        MailStack.TouchPast(pf);
        _stack.Lap("postfix config");
    }

    internal async Task StartAsync(CancellationToken ct)
    {
        MailStack.TouchPast(_stack.PostfixConfigDirectory);
        var rc = await ProcessRunner.RunDetachedAsync("postfix", ["-c", _stack.PostfixConfigDirectory, "start"], Path.Combine(_stack.LogDirectory, "postfix.out"), MailStack.StartTimeout, ct).ConfigureAwait(false);
        if (rc != 0)
        {
            throw new InvalidOperationException($"postfix start exited {rc}\n{_stack.TailLog(MailService.Postfix)}");
        }

        await _stack.WaitUntilAsync("postfix master.pid", () => _stack.IsRunning(MailService.Postfix), MailService.Postfix, ct).ConfigureAwait(false);
        await _stack.WaitUntilAsync("postfix smtpd ports", () => FreePorts.IsListening(_stack.SmtpPort) && FreePorts.IsListening(_stack.SubmissionPort), MailService.Postfix, ct).ConfigureAwait(false);
        _stack.RecordPid(MailService.Postfix);
        _stack.Lap("postfix up");
    }

    /// <summary>
    /// <c>postfix reload</c>: the master re-reads main.cf and master.cf. <c>postfix reload</c>
    /// only signals the master (SIGHUP) and returns; the master takes the new configuration when
    /// its event loop next runs, logging "reload -- version ..." just before (master.c), which on
    /// a busy machine can be after the test's next connection. So this waits for one more such
    /// line in postfix.log than there was before the reload, then for the smtpd port.
    /// </summary>
    internal async Task ReloadAsync(CancellationToken ct = default)
    {
        var reloadsBefore = CountMasterReloads();
        var r = await ProcessRunner.RunAsync("postfix", ["-c", _stack.PostfixConfigDirectory, "reload"], ct: ct).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"postfix reload exited {r.ExitCode}: {r.Output}\n{_stack.TailLog(MailService.Postfix)}");
        }

        await _stack.WaitUntilAsync("postfix master's \"reload -- version\" line", () => CountMasterReloads() > reloadsBefore, MailService.Postfix, ct).ConfigureAwait(false);
        await _stack.WaitUntilAsync("postfix smtpd after reload", () => FreePorts.IsListening(_stack.SmtpPort), MailService.Postfix, ct).ConfigureAwait(false);
    }

    /// <summary>The master's "reload -- version" lines in postfix.log so far.</summary>
    private int CountMasterReloads()
    {
        var log = Path.Combine(_stack.LogDirectory, "postfix.log");
        if (!File.Exists(log))
        {
            return 0;
        }

        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Contains("/master[", StringComparison.Ordinal) && line.Contains("reload -- version", StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Restores main.cf and master.cf as they were after the base fragments, and reloads Postfix.</summary>
    internal async Task ResetConfigAsync(CancellationToken ct = default)
    {
        foreach (var f in new[] { "main.cf", "master.cf" })
        {
            File.Copy(Path.Combine(_stack.TempDirectory, "etc", "postfix-base", f), Path.Combine(_stack.PostfixConfigDirectory, f), overwrite: true);
        }

        MailStack.TouchPast(_stack.PostfixConfigDirectory);
        await ReloadAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads Postfix's queue (<c>postqueue -j</c>).</summary>
    internal async Task<IReadOnlyList<QueuedMessage>> GetQueueAsync(CancellationToken ct = default)
    {
        var r = await ProcessRunner.RunCheckedAsync("postqueue", ["-c", _stack.PostfixConfigDirectory, "-j"], ct: ct).ConfigureAwait(false);
        var list = new List<QueuedMessage>();
        foreach (var line in r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            var recipients = new List<QueuedRecipient>();
            if (e.TryGetProperty("recipients", out var rs))
            {
                foreach (var rcpt in rs.EnumerateArray())
                {
                    recipients.Add(new QueuedRecipient(
                        rcpt.GetProperty("address").GetString() ?? string.Empty,
                        rcpt.TryGetProperty("delay_reason", out var why) ? why.GetString() : null));
                }
            }

            list.Add(new QueuedMessage(
                e.GetProperty("queue_name").GetString() ?? string.Empty,
                e.GetProperty("queue_id").GetString() ?? string.Empty,
                e.TryGetProperty("sender", out var s) ? s.GetString() ?? string.Empty : string.Empty,
                e.TryGetProperty("message_size", out var size) ? size.GetInt64() : 0,
                recipients));
        }

        return list;
    }

    /// <summary>
    /// Postfix's log lines that record a final delivery to <paramref name="recipient"/>: not the
    /// hand-over to the filter (relay=mailseal-pipe, or mailseal-filterd's "re-injected" reply).
    /// </summary>
    internal IReadOnlyList<string> FinalDeliveries(string recipient)
    {
        var log = Path.Combine(_stack.LogDirectory, "postfix.log");
        if (!File.Exists(log))
        {
            return [];
        }

        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        var to = $" to=<{recipient}>,";
        while (reader.ReadLine() is { } line)
        {
            if (line.Contains(to, StringComparison.OrdinalIgnoreCase) && line.Contains(" status=sent ", StringComparison.Ordinal) && !line.Contains(" relay=mailseal-pipe", StringComparison.Ordinal)
                && !line.Contains(" re-injected", StringComparison.Ordinal))
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    /// <summary>
    /// NOTES.md pitfall 1: setgid postdrop (the pipe user's re-inject) refuses a private config
    /// directory unless the default main.cf lists it in alternate_config_directories. Adds ours,
    /// idempotently, creating /etc/postfix/main.cf if absent. Called under the stack lock.
    /// </summary>
    internal static async Task AddAlternateConfigDirectoryAsync(string dir, CancellationToken ct)
    {
        if (!File.Exists("/etc/postfix/main.cf"))
        {
            Directory.CreateDirectory("/etc/postfix");
            await File.WriteAllTextAsync("/etc/postfix/main.cf", "compatibility_level = 3.6\n", ct).ConfigureAwait(false);
        }

        var current = await AlternateConfigDirectoriesAsync().ConfigureAwait(false);
        if (!current.Contains(dir))
        {
            current.Add(dir);
            await ProcessRunner.RunCheckedAsync("postconf", ["-c", "/etc/postfix", "-e", "alternate_config_directories = " + string.Join(", ", current)], ct: ct).ConfigureAwait(false);
        }
    }

    /// <summary>Removes <paramref name="dir"/> and entries of vanished harness runs from alternate_config_directories.</summary>
    internal static async Task RemoveAlternateConfigDirectoryAsync(string dir)
    {
        if (!File.Exists("/etc/postfix/main.cf"))
        {
            return;
        }

        var current = await AlternateConfigDirectoriesAsync().ConfigureAwait(false);
        var kept = current.Where(d => d != dir && !(d.StartsWith(MailStack.RootDirectory + "/", StringComparison.Ordinal) && !Directory.Exists(d))).ToList();
        if (kept.Count != current.Count)
        {
            await ProcessRunner.RunCheckedAsync("postconf", ["-c", "/etc/postfix", "-e", "alternate_config_directories = " + string.Join(", ", kept)]).ConfigureAwait(false);
        }
    }

    /// <summary>The entries of alternate_config_directories in /etc/postfix/main.cf.</summary>
    internal static async Task<List<string>> AlternateConfigDirectoriesAsync()
    {
        var r = await ProcessRunner.RunCheckedAsync("postconf", ["-c", "/etc/postfix", "-h", "alternate_config_directories"]).ConfigureAwait(false);
        return r.StandardOutput.Split([',', ' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
