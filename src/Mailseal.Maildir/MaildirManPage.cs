using Mailseal.Core.Cli;

namespace Mailseal.Maildir;

/// <summary>The man page sections of mailseal-maildir(8) beyond the option list.</summary>
internal static class MaildirManPage
{
    public static ManPageInfo Info { get; } = new()
    {
        Section = "8",
        Sections =
        [
            new ManPageSection("DESCRIPTION",
                "mailseal-maildir encrypts mail that is already stored in plaintext in a Dovecot Maildir (the Sent folder, which never crosses Postfix, and mail from before Mailseal) to the user's OpenPGP key, in place. "
                + "Each message in cur/ that is not already encrypted (PGP/MIME, inline PGP, S/MIME: the same detector as mailseal-encrypt) becomes PGP/MIME exactly as mailseal-encrypt writes it. "
                + "The UID, the flags and keywords (the letters after :2,) and INTERNALDATE (the file's mtime) are kept; the S= and W= size fields of the file name are set to the new sizes and dovecot-uidlist is updated so Dovecot keeps the UID. "
                + "Afterwards the folder's dovecot.index.cache is removed and doveadm force-resync makes Dovecot re-read the folder; full-text-search index directories are removed (run doveadm fts rescan). Files in new/ are left for the next run (Dovecot moves them to cur/)."),
            new ManPageSection("CRASH SAFETY",
                "Ciphertext is written to tmp/ and fsynced first. A batch is committed under Dovecot's own dovecot-uidlist.lock after its journal (file names only) is fsynced: rename into cur/, fsync, unlink the plaintext, fsync, rewrite dovecot-uidlist. "
                + "A run that was killed leaves the journal; the next run finishes each entry (removes the plaintext twin, fixes the uidlist) or undoes it (removes the tmp/ file), so every message is one file: the plaintext or the ciphertext, never both, never neither."),
            new ManPageSection("EXAMPLES",
                "runuser -u vmail -- mailseal-maildir encrypt --user bob@example.org --dry-run\n"
                + "runuser -u vmail -- mailseal-maildir encrypt --user bob@example.org --progress\n"
                + "mailseal-maildir encrypt --all-users --folder Sent --quiet   (mailseal-maildir.timer, every minute)"),
            new ManPageSection("EXIT STATUS", "", [
                new ManPageItem("0", "Done (also when there was nothing to do)."),
                new ManPageItem("64", "A usage error."),
                new ManPageItem("75", "Something that may pass later: no usable key, a lock held too long, an I/O error, doveadm failing. The folders done so far stay done; the next run goes on."),
            ]),
            new ManPageSection("SEE ALSO", "mailseal-encrypt(8), doveadm-force-resync(1), docs/maildir.md"),
        ],
    };
}
