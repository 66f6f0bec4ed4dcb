using Mailseal.Core.Cli;

namespace Mailseal.Spfd;

/// <summary>The man page sections of mailseal-spfd(8) beyond the option list.</summary>
internal static class SpfdManPage
{
    public static ManPageInfo Info { get; } = new()
    {
        Section = "8",
        Sections =
        [
            new ManPageSection("DESCRIPTION",
                "mailseal-spfd answers Postfix check_policy_service requests with an RFC 7208 SPF check of the HELO and MAIL FROM identities. "
                + "It prepends one Received-SPF (or Authentication-Results) header per message, or rejects (550 5.7.23, 5.7.24 for errors) or defers (DEFER_IF_PERMIT 4.7.24) as configured. "
                + "With no --listen it serves one connection on stdin/stdout, as spawn(8) runs it; with --listen it is a daemon. "
                + "--config accepts a mailseal.conf ([spfd] section) or an unchanged policyd-spf.conf; a policyd-spf.conf may also be given as the only argument, as policyd-spf takes it."),
            new ManPageSection("POSTFIX",
                "master.cf: policy-spf unix - n n - 0 spawn user=nobody argv=/usr/bin/mailseal-spfd\n"
                + "main.cf: smtpd_recipient_restrictions = ..., reject_unauth_destination, check_policy_service unix:private/policy-spf\n"
                + "Daemon: mailseal-spfd --listen inet:127.0.0.1:10045 and check_policy_service inet:127.0.0.1:10045."),
            new ManPageSection("DIAGNOSTICS",
                "Daemon mode logs to stderr, spawn mode to syslog only (facility mail). A malformed or oversized request is logged and the connection closed without a reply, so Postfix applies its default. "
                + "Exit status 0 when done, 75 for a configuration or start-up error."),
            new ManPageSection("SEE ALSO", "policyd-spf.conf(5), postconf(5), spawn(8), RFC 7208, RFC 7372, RFC 8601"),
        ],
    };
}
