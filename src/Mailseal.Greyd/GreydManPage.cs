using Mailseal.Core.Cli;

namespace Mailseal.Greyd;

/// <summary>The man page sections of mailseal-greyd(8) beyond the option list.</summary>
internal static class GreydManPage
{
    public static ManPageInfo Info { get; } = new()
    {
        Section = "8",
        Sections =
        [
            new ManPageSection("DESCRIPTION",
                "mailseal-greyd answers Postfix check_policy_service requests with greylisting as postgrey 1.37 does it. "
                + "A triplet of client network (IPv4 /24, IPv6 /64, or the address with --lookup-by-host), sender (BATV prvs= tag, +extension and digit runs taken out) and recipient is deferred with --greylist-action and --greylist-text until it is retried after --delay seconds within --retry-window; "
                + "the first delivery that passed gets one X-Greylist header per message. A client with --auto-whitelist-clients such deliveries (one per hour) passes at once. "
                + "Clients and recipients in postgrey's whitelist files (Debian's /etc/postgrey/whitelist_clients, whitelist_clients.local and whitelist_recipients by default) pass at once. "
                + "postgrey's command line is accepted as it is (--inet=[HOST:]PORT, --unix=PATH, --dbdir, --delay=N, ...)."),
            new ManPageSection("STORES",
                "sqlite:PATH (default /var/lib/mailseal/greyd.sqlite, or DBDIR/greyd.sqlite): one file in WAL mode; a commit is made before the answer is sent, so a crash loses nothing answered for. "
                + "postgresql:CONNSTRING: tables greyd_triplets, greyd_clients and greyd_maintenance and the function greyd_check, created at start; several MX hosts share one greylist, with the database's clock, one round trip per request. "
                + "A store that does not answer within --store-timeout (1000 ms) is logged and the request answered DUNNO, or deferred with --store-unavailable defer."),
            new ManPageSection("MIGRATING FROM POSTGREY",
                "Stop postgrey, then mailseal-greyd --import-postgrey /var/lib/postgrey [--store ...] reads postgrey.db and postgrey_clients.db with db_dump (package db-util) and keeps their learned triplets and clients. "
                + "With --privacy in postgrey, give --privacy here too."),
            new ManPageSection("POSTFIX",
                "main.cf: smtpd_recipient_restrictions = ..., reject_unauth_destination, check_policy_service inet:127.0.0.1:10023"),
            new ManPageSection("DIAGNOSTICS",
                "Logs to stderr, one line per decision in postgrey's shape (action=greylist, reason=new, client_name=..., ...). A malformed or oversized request is logged and the connection closed without a reply. "
                + "Exit status 0 when done, 75 for a configuration or start-up error."),
            new ManPageSection("SEE ALSO", "postgrey(8), postconf(5), access(5), SMTPD_POLICY_README"),
        ],
    };
}
