// NAME
//      mailseal-greyd - greylisting policy server for Postfix (replaces postgrey and sqlgrey)
// SYNOPSIS
//      mailseal-greyd --inet=10023 [postgrey options]                  (postgrey's command line)
//      mailseal-greyd --listen inet:127.0.0.1:10023 [--store sqlite:PATH|postgresql:CONNSTRING]
//      mailseal-greyd --import-postgrey /var/lib/postgrey [--store ...]
// DESCRIPTION
//      Answers Postfix's check_policy_service requests with postgrey 1.37's greylisting: the
//      triplet (client network, normalised sender, recipient) must be retried after --delay
//      seconds; whitelists in postgrey's file formats; a client auto-whitelist; one X-Greylist
//      header per message. The greylist lives in an SQLite file (one host) or a PostgreSQL
//      database several MX hosts share.
// DIAGNOSTICS
//      Logs to stderr (the journal), one postgrey-style line per decision. A store that does not
//      answer within --store-timeout is logged and the request answered DUNNO (fail open).
//      Exit 0 when done, 75 for a configuration or start-up error; never a stack trace.
// SECURITY
//      Needs no privileges beyond its database. Every request line, attribute count, wait, cache
//      and whitelist regex is bounded; SQL is parameterised.
using Mailseal.Greyd;

return await GreydProgram.RunAsync(args, null, CancellationToken.None).ConfigureAwait(false);
