using Mailseal.Core.Cli;

namespace Mailseal.Encrypt;

/// <summary>The man page sections beyond the option list (printed by --generate-man-page).</summary>
internal static class ManPage
{
    public static ManPageInfo Info { get; } = new()
    {
        Sections =
        [
            new("DESCRIPTION", "mailseal-encrypt reads one message on standard input and writes it on standard output, like gpgit.pl, so it drops into scripts and into the tutorial's wrapper. For each RECIPIENT it looks up KEY_DIR/ADDRESS.asc (lower case, the +extension removed). A recipient is local when its domain is in local_domains or its key file exists.\n\nWhen a local recipient has a usable key, the message becomes PGP/MIME (RFC 3156): the outer header fields are kept except Content-* (MIME-Version is written once), and the encrypted part holds the original Content-* fields and body, byte for byte, so charsets, HTML, attachments and signatures survive. DKIM-Signature is renamed to X-Original-DKIM-Signature by default; Authentication-Results stays.\n\nA message that is already encrypted (PGP/MIME, inline PGP, S/MIME enveloped-data, PGP/MIME mangled by Exchange) is passed on byte-identical. Signed messages are encrypted whole, signature intact. A message with no local recipient is passed on unchanged (outbound mail crosses the same filter)."),
            new("EXIT STATUS", "", [
                new("0", "The message was written to standard output (encrypted, already encrypted, or passed)."),
                new("75", "Deferred: no recipient given, a local recipient without a usable key, a bad option or configuration, an I/O error. Postfix keeps the mail queued. Nothing was written to standard output."),
                new("67", "Only with --missing-key bounce: a local recipient has no usable key."),
            ]),
            new("DIAGNOSTICS", "Errors are one line on standard error, never a stack trace: \"4.3.5 mailseal-encrypt: no recipient given ...\", \"4.7.5 mailseal-encrypt: no key for <alice@example.org> ...\". Each message gives one syslog line, facility mail: \"QUEUEID: to=<alice@example.org>, action=encrypted (reason), key=FINGERPRINT, size=N\"; action is encrypted, already-encrypted, passed or tempfail."),
            new("SECURITY", "Plaintext is never written to disk by mailseal-encrypt. Output beyond --spool-memory bytes (ciphertext and outer header fields) moves to a temp file created 0600 and unlinked at once. A message passed unchanged (no local recipient) is streamed straight through. Postfix's own queue holds plaintext until delivery."),
            new("SEE ALSO", "pipe(8), mailseal-pipe(8), gpg(1)"),
        ],
    };
}
