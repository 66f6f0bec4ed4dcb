using Mailseal.Core.Cli;

namespace Mailseal.Filterd;

/// <summary>The man page sections of mailseal-filterd(8) beyond the option list.</summary>
internal static class FilterdManPage
{
    public static ManPageInfo Info { get; } = new()
    {
        Section = "8",
        Sections =
        [
            new ManPageSection("DESCRIPTION",
                "mailseal-filterd is an after-queue content filter in the shape of Postfix's FILTER_README \"advanced content filter\": Postfix's smtp (or lmtp) client delivers each queued message to it, and it hands the result back over SMTP to a second smtpd that has no content filter. "
                + "Each message streams through the same code as mailseal-pipe: spamd's verdict on the outer header, optional scrubbing, one copy per local recipient encrypted to that recipient's key alone, one unchanged copy for recipients that are not local. All recipients of a message are handled in one transaction. "
                + "The end of DATA is answered 250 only once the re-injection smtpd accepted every copy's final dot; until then Postfix keeps the message queued, so a crash loses nothing (a message whose copies were re-injected just before a crash can arrive twice)."),
            new ManPageSection("POSTFIX",
                "master.cf: \"mailseal-filterd unix - - n - 20 smtp -o smtp_send_xforward_command=yes -o smtp_data_done_timeout=600s\", and the re-injection smtpd \"127.0.0.1:10028 inet n - n - - smtpd -o content_filter= -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters -o smtpd_authorized_xforward_hosts=127.0.0.0/8 -o mynetworks=127.0.0.0/8 -o smtpd_recipient_restrictions=permit_mynetworks,reject\". "
                + "main.cf or the receiving smtpd: content_filter = mailseal-filterd:[127.0.0.1]:10027. Keep --max-sessions equal to the transport's process limit (20 above). postfix/mailseal-filterd.postconf holds all of it, applied by postfix/apply.sh."),
            new ManPageSection("EXIT STATUS",
                "0 after a clean stop (SIGTERM or SIGINT: no new connections, messages in flight finish and are answered, sessions get 421); 75 for a start-up error (bad configuration, address in use)."),
            new ManPageSection("RELOADING",
                "Keys are read by file name or SQL at each message and re-parsed when they change. mailseal.conf and the scrub rules are re-read when they change (checked every --reload-interval seconds) or on SIGHUP; a configuration with an error is logged and the running settings kept. Listen addresses and listener limits need a restart."),
            new ManPageSection("SECURITY",
                "Run it as a dedicated user. Plaintext is never written to disk by mailseal-filterd; ciphertext may be spooled to an unlinked 0600 temp file. Listen on loopback or a unix socket only: the filter trusts its client's envelope and XFORWARD attributes."),
            new ManPageSection("SEE ALSO", "mailseal-pipe(8), smtpd(8), smtp(8), FILTER_README, XFORWARD_README"),
        ],
    };
}
