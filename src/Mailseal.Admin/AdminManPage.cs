using Mailseal.Core.Cli;

namespace Mailseal.Admin;

/// <summary>The man page sections of mailseal-admin(8) beyond the option list.</summary>
internal static class AdminManPage
{
    public static ManPageInfo Info { get; } = new()
    {
        Section = "8",
        Sections =
        [
            new ManPageSection("DESCRIPTION",
                "mailseal-admin manages the accounts schema Mailseal shares with Dovecot's SQL passdb/userdb and Postfix's pgsql maps: "
                + "db init creates it, db migrate upgrades an existing one (the tutorial's included) keeping every row; "
                + "user and alias commands create, list and remove accounts and aliases; key commands store, show, rotate and watch the keys mail is encrypted to, "
                + "in the database or in the key folder (key import DIR imports a folder of ADDRESS.asc files, one result line each, progress on stderr); "
                + "wkd export writes the Web Key Directory (advanced and direct layouts) senders' GnuPG and Thunderbird look keys up in; "
                + "dns records prints, and dns check verifies, the domain's DNS records; doctor checks a running installation. Passwords are hashed as ARGON2ID (default), SHA512-CRYPT or BLF-CRYPT and read from the terminal or stdin, never from the command line."),
            new ManPageSection("EXAMPLES",
                "mailseal-admin db migrate\n"
                + "mailseal-admin user add bob@example.org --key bob.asc\n"
                + "printf '%s\\n' \"$pw\" | mailseal-admin user passwd bob@example.org --password-scheme SHA512-CRYPT\n"
                + "mailseal-admin alias add postmaster@example.org bob@example.org\n"
                + "mailseal-admin key import /srv/keys --store database --progress > import.log\n"
                + "mailseal-admin wkd export /var/www/wkd\n"
                + "mailseal-admin key expiring --days 30   (cron)"),
            new ManPageSection("DIAGNOSTICS",
                "One line on stderr. Exit status 0 when done, 64 for a usage error, 65 when input is refused (nothing was changed; for key import DIR: a file was refused, the others are stored), 75 when the database or a file cannot be reached, 78 for a configuration error; "
                + "key expiring and db status exit 1 when there is something to act on."),
            new ManPageSection("SEE ALSO", "mailseal-encrypt(8), doveadm-pw(1), crypt(5), docs/admin.md"),
        ],
    };
}
