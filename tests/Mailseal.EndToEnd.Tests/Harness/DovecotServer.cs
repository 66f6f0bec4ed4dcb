using System.Globalization;
using System.Text;
using System.Text.Json;
using Mailseal.Core.Accounts;
using Mailseal.Testing;
using Npgsql;
using Xunit.Sdk;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>Dovecot 2.3 (IMAP, LMTP, SQL passdb/userdb) configured from the shipped dovecot/ fragments. Part of <see cref="MailStack"/>, which owns the ports, directories and lifecycle.</summary>
internal sealed class DovecotServer
{
    private readonly MailStack _stack;

    internal DovecotServer(MailStack stack) => _stack = stack;

    internal async Task ConfigureAsync(CancellationToken ct)
    {
        var t = _stack.TempDirectory;
        await File.WriteAllTextAsync(_stack.DovecotConfigFile, $$"""
            # Harness-only settings; everything Mailseal ships comes from dovecot/ through postfix/apply.sh (conf.d/).
            protocols = imap lmtp
            listen = 127.0.0.1
            base_dir = {{t}}/run/dovecot
            state_dir = {{t}}/var/dovecot-state
            instance_name = mailseal-e2e-{{_stack.Id}}
            hostname = {{MailStack.HostName}}
            log_path = {{_stack.LogDirectory}}/dovecot.log
            ssl = no
            disable_plaintext_auth = no
            auth_verbose = yes
            # tests try wrong passwords on purpose: answer at once instead of after 2 s, and without
            # anvil's penalty per client address, which after a few failures from 127.0.0.1 delays
            # every later login, right or wrong, by up to 15 s (doc.dovecot.org, "Authentication penalty")
            auth_failure_delay = 0
            service anvil {
              unix_listener anvil-auth-penalty {
                mode = 0
              }
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{_stack.ImapPort}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            !include conf.d/*.conf

            """, ct).ConfigureAwait(false);
        await _stack.ApplyFragmentsAsync(
            Path.Combine(t, "etc", "dovecot", "conf.d"),
            ["dovecot/10-mailseal-mail.conf", "dovecot/10-mailseal-auth.conf", "dovecot/10-mailseal-maildir.conf", "dovecot/20-mailseal-lmtp.conf", "dovecot/mailseal-sql.conf.ext"],
            ct: ct).ConfigureAwait(false);
        var check = await ProcessRunner.RunAsync("doveconf", ["-c", _stack.DovecotConfigFile, "-n"], ct: ct).ConfigureAwait(false);
        if (check.ExitCode != 0)
        {
            throw new InvalidOperationException($"doveconf -n rejects the Dovecot config: {check.StandardError.Trim()}");
        }

        _stack.Lap("dovecot config");
    }

    internal async Task StartAsync(CancellationToken ct)
    {
        var rc = await ProcessRunner.RunDetachedAsync("dovecot", ["-c", _stack.DovecotConfigFile], Path.Combine(_stack.LogDirectory, "dovecot.out"), MailStack.StartTimeout, ct).ConfigureAwait(false);
        if (rc != 0)
        {
            throw new InvalidOperationException($"dovecot exited {rc}\n{_stack.TailLog(MailService.Dovecot)}");
        }

        await _stack.WaitUntilAsync("dovecot master.pid", () => _stack.IsRunning(MailService.Dovecot), MailService.Dovecot, ct).ConfigureAwait(false);
        await _stack.WaitUntilAsync("dovecot imap port", () => FreePorts.IsListening(_stack.ImapPort), MailService.Dovecot, ct).ConfigureAwait(false);
        await _stack.WaitUntilAsync("dovecot lmtp and auth sockets", () => File.Exists(_stack.LmtpSocket) && File.Exists(_stack.DovecotAuthSocket), MailService.Dovecot, ct).ConfigureAwait(false);
        _stack.RecordPid(MailService.Dovecot);
        _stack.Lap("dovecot up");
    }
}
