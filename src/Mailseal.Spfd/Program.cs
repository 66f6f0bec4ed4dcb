// NAME
//      mailseal-spfd - SPF policy server for Postfix (replaces postfix-policyd-spf-python)
// SYNOPSIS
//      mailseal-spfd [--config FILE | policyd-spf.conf] [options]          (spawn(8): stdin/stdout)
//      mailseal-spfd --listen inet:127.0.0.1:10045 [--listen unix:PATH]... (daemon)
// DESCRIPTION
//      Answers Postfix's check_policy_service requests (SMTPD_POLICY_README) with an RFC 7208
//      SPF check of the HELO and MAIL FROM identities: PREPEND a Received-SPF (or
//      Authentication-Results) header, or reject/defer as policyd-spf.conf(5) options say.
//      --config accepts a mailseal.conf ([spfd] section) or a policyd-spf.conf unchanged.
// DIAGNOSTICS
//      Daemon mode logs to stderr; spawn mode to syslog only (stderr is the Postfix connection).
//      A malformed request is logged and the connection closed without a reply. Exit 0 when
//      done, 75 for a configuration or start-up error; never a stack trace.
// SECURITY
//      Needs no privileges. Every request line, attribute count, wait and cache is bounded;
//      header values copied from the client are sanitised.
using Mailseal.Spfd;

return await SpfdProgram.RunAsync(args, null, CancellationToken.None).ConfigureAwait(false);
