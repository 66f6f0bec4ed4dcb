using System.CommandLine;
using Mailseal.Admin.Accounts;
using Mailseal.Admin.Doctor;
using Mailseal.Core;
using Mailseal.Core.Accounts;
using Mailseal.Core.Cli;
using Npgsql;

namespace Mailseal.Admin;

/// <summary><c>doctor</c>: checks a running installation as an admin would, one line per check with the fix.</summary>
internal sealed partial class AdminCommand
{
    private readonly Option<string> _postfixConfig = new("--postfix-config") { Description = "Postfix's configuration directory (postconf -c).", HelpName = "DIR", DefaultValueFactory = _ => "/etc/postfix" };
    private readonly Option<string> _dovecotConfig = new("--dovecot-config") { Description = "Dovecot's configuration file (doveconf -c).", HelpName = "FILE", DefaultValueFactory = _ => "/etc/dovecot/dovecot.conf" };

    private Command CreateDoctor()
    {
        var doctor = new Command("doctor", "Check a running installation: PostgreSQL and the schema, every account's key, the key folder's permissions, Postfix's content filter and policy services (answering), Dovecot's SQL queries against the schema. One line per check, OK, WARN or FAIL with the fix; exit 1 when one fails.")
        {
            _postfixConfig, _dovecotConfig, _days, _store,
        };
        doctor.SetAction((p, ct) => DoctorAsync(p, ct));
        return doctor;
    }

    private async Task<int> DoctorAsync(ParseResult p, CancellationToken ct)
    {
        var checks = new List<DoctorCheck>();
        if (string.IsNullOrWhiteSpace(p.GetValue(_database)))
        {
            checks.Add(new(DoctorCheck.Warn, "database", "none configured: accounts and keys come from the key folder only"));
            await DoctorChecksAsync(p, null, checks, ct).ConfigureAwait(false);
        }
        else
        {
            await using AccountStore store = AccountStore.Open(p.GetValue(_database)!);
            NpgsqlConnection? connection = null;
            try
            {
                connection = await store.OpenConnectionAsync(ct).ConfigureAwait(false);
                checks.Add(new(DoctorCheck.Ok, "database", $"reachable (PostgreSQL {connection.PostgreSqlVersion})"));
            }
            catch (MailsealException e)
            {
                checks.Add(new(DoctorCheck.Fail, "database", e.Message, "is PostgreSQL running, and is `database` in mailseal.conf right?"));
            }

            await using (connection)
                await DoctorChecksAsync(p, connection, checks, ct).ConfigureAwait(false);
        }

        foreach (DoctorCheck c in checks)
            await _context.Out.WriteLineAsync(Output.TextTable.Safe(c.ToString())).ConfigureAwait(false);
        int failed = checks.Count(c => c.Status == DoctorCheck.Fail);
        await _context.Out.WriteLineAsync(failed == 0 ? $"{checks.Count} checks, none failed" : $"{checks.Count} checks, {failed} failed").ConfigureAwait(false);
        return failed == 0 ? ExitCodes.Ok : 1;
    }

    private async Task DoctorChecksAsync(ParseResult p, NpgsqlConnection? connection, List<DoctorCheck> checks, CancellationToken ct)
    {
        bool database = !string.IsNullOrWhiteSpace(p.GetValue(_database));
        if (connection is not null)
            checks.Add(await SchemaCheckAsync(connection, ct).ConfigureAwait(false));
        if (!database || (connection is not null && checks[^1].Status == DoctorCheck.Ok))
            checks.AddRange(await KeyChecksAsync(p, database, ct).ConfigureAwait(false));
        checks.Add(KeyFolderCheck(p.GetValue(_keyDir)!, !database));
        checks.AddRange(await PostfixChecks.RunAsync(p.GetValue(_postfixConfig)!, ct).ConfigureAwait(false));
        checks.AddRange(await DovecotChecks.RunAsync(p.GetValue(_dovecotConfig)!, connection, ct).ConfigureAwait(false));
    }

    private static async Task<DoctorCheck> SchemaCheckAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        try
        {
            int version = await AccountSchema.ReadVersionAsync(connection, ct).ConfigureAwait(false);
            bool versioned = await HasVersionTableAsync(connection, ct).ConfigureAwait(false);
            return version == AccountSchema.CurrentVersion && versioned
                ? new(DoctorCheck.Ok, "schema", $"version {version}, current")
                : version == 0
                    ? new(DoctorCheck.Fail, "schema", "the database has no accounts schema", "mailseal-admin db init")
                    : new(DoctorCheck.Fail, "schema", $"version {(versioned ? version : 0)} of {AccountSchema.CurrentVersion}" + (versioned ? string.Empty : " (the tutorial's tables)"), "mailseal-admin db migrate");
        }
        catch (NpgsqlException e)
        {
            return new(DoctorCheck.Fail, "schema", AccountStore.DatabaseError(e).Message, "mailseal-admin db status");
        }
    }

    private async Task<List<DoctorCheck>> KeyChecksAsync(ParseResult p, bool database, CancellationToken ct)
    {
        string where = database ? "accounts" : "key folder";
        if (!database && !Directory.Exists(p.GetValue(_keyDir)))
            return [];
        List<(string Address, string Fingerprint, string When, string Problem)> problems;
        try
        {
            problems = await KeyProblemsAsync(p, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MailsealException or IOException or UnauthorizedAccessException)
        {
            return [new(DoctorCheck.Fail, "keys", $"{where}: {e.Message}", "mailseal-admin key expiring")];
        }

        var unusable = problems.Where(x => x.When == "now").ToList();
        var expiring = problems.Where(x => x.When != "now").ToList();
        var checks = new List<DoctorCheck>();
        checks.Add(unusable.Count == 0
            ? new(DoctorCheck.Ok, "keys", $"every address in the {where} has a usable key")
            : new(DoctorCheck.Fail, "keys", $"{unusable.Count} address(es) without a usable key, their mail is deferred: " + string.Join("; ", unusable.Take(5).Select(x => $"{x.Address} ({x.Problem})")) + (unusable.Count > 5 ? "; ..." : string.Empty), "mailseal-admin key rotate ADDRESS FILE (key expiring lists them all)"));
        if (expiring.Count > 0)
            checks.Add(new(DoctorCheck.Warn, "keys expiring", $"{expiring.Count} key(s) stop being usable within {p.GetValue(_days)} days: " + string.Join("; ", expiring.Take(5).Select(x => $"{x.Address} on {x.When}")), "ask the owners for an extended or new key"));
        return checks;
    }

    private static DoctorCheck KeyFolderCheck(string dir, bool required)
    {
        if (!Directory.Exists(dir))
        {
            return required
                ? new(DoctorCheck.Fail, "key folder", $"{dir} does not exist and no database is configured: no mail can be encrypted", "mkdir -m 0750 " + dir + "; chown root:mailseal " + dir)
                : new(DoctorCheck.Ok, "key folder", $"{dir} not used (keys are in the database)");
        }

        var bad = new List<string>();
        UnixFileMode folderMode = File.GetUnixFileMode(dir);
        if ((folderMode & (UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0)
            bad.Add($"{dir} is writable by {((folderMode & UnixFileMode.OtherWrite) != 0 ? "everyone" : "its group")}: anyone there can swap a recipient's key");
        foreach (string file in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal).Take(100000))
        {
            var info = new FileInfo(file);
            if (info.LinkTarget is not null)
                continue;
            UnixFileMode mode = info.UnixFileMode;
            if ((mode & (UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0)
                bad.Add($"{Path.GetFileName(file)} is writable by group or others");
            else if ((mode & UnixFileMode.OtherRead) != 0)
                bad.Add($"{Path.GetFileName(file)} is readable by everyone");
            if (bad.Count >= 5)
                break;
        }

        return bad.Count == 0
            ? new(DoctorCheck.Ok, "key folder", $"{dir}: no file writable by group or others, none world-readable")
            : new(DoctorCheck.Fail, "key folder", string.Join("; ", bad), $"chmod 0750 {dir}; chmod 0640 {dir}/*.asc; chown -R root:mailseal {dir}");
    }
}
