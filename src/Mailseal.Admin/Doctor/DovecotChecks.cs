using System.Text.RegularExpressions;
using Npgsql;

namespace Mailseal.Admin.Doctor;

/// <summary>
/// Reads Dovecot's configuration as Dovecot does (<c>doveconf -n</c>), finds the SQL passdb and
/// userdb, and has PostgreSQL plan (EXPLAIN, never run) their queries against this database: a
/// query that names a column or table the schema lacks fails here instead of at every login.
/// </summary>
internal static partial class DovecotChecks
{
    public static async Task<List<DoctorCheck>> RunAsync(string configFile, NpgsqlConnection? connection, CancellationToken ct)
    {
        var checks = new List<DoctorCheck>();
        (int code, string output, string error) = await CommandRunner.RunAsync("doveconf", ["-c", configFile, "-n"], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        if (code != 0)
        {
            checks.Add(new(DoctorCheck.Fail, "dovecot", $"doveconf -c {configFile} -n: {error.Trim().Split('\n')[0]}", "give Dovecot's configuration file with --dovecot-config"));
            return checks;
        }

        var files = new List<string>();
        foreach (Match m in SqlDatabase().Matches(output))
        {
            string block = m.Groups[2].Value;
            Match driver = Regex.Match(block, @"^\s*driver\s*=\s*(\S+)", RegexOptions.Multiline, TimeSpan.FromSeconds(1));
            Match args = Regex.Match(block, @"^\s*args\s*=\s*(.+)$", RegexOptions.Multiline, TimeSpan.FromSeconds(1));
            if (driver.Success && driver.Groups[1].Value == "sql" && args.Success)
                files.Add(args.Groups[1].Value.Trim());
        }
        if (files.Count == 0)
        {
            checks.Add(new(DoctorCheck.Fail, "dovecot sql", "no passdb or userdb with driver = sql: Dovecot does not read the accounts mailseal-admin writes", "install dovecot/10-mailseal-auth.conf and dovecot/mailseal-sql.conf.ext"));
            return checks;
        }

        foreach (string file in files.Distinct(StringComparer.Ordinal))
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync(file, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                checks.Add(new(DoctorCheck.Fail, "dovecot sql", $"{file}: {e.Message}", "run doctor as root, or check the file"));
                continue;
            }

            foreach (string name in new[] { "password_query", "user_query" })
            {
                Match q = Regex.Match(text, "^[ \\t]*" + name + "[ \\t]*=[ \\t]*(.+)$", RegexOptions.Multiline, TimeSpan.FromSeconds(1));
                if (!q.Success)
                {
                    checks.Add(new(DoctorCheck.Fail, "dovecot " + name, $"{file} has no {name}", "install dovecot/mailseal-sql.conf.ext"));
                    continue;
                }

                checks.Add(await ExplainAsync(name, q.Groups[1].Value.Trim(), file, connection, ct).ConfigureAwait(false));
            }
        }

        return checks;
    }

    private static async Task<DoctorCheck> ExplainAsync(string name, string query, string file, NpgsqlConnection? connection, CancellationToken ct)
    {
        string check = "dovecot " + name;
        if (connection is null)
            return new(DoctorCheck.Warn, check, "not checked: no database to plan it against");
        if (query.Contains(';', StringComparison.Ordinal))
            return new(DoctorCheck.Fail, check, $"{file}: the query holds a ';' (more than one statement); doctor does not run it", "one SELECT, as dovecot/mailseal-sql.conf.ext has it");

        // Dovecot's %u, %Lu, %{user}... become a literal; the query is only planned, in a read-only transaction.
        string sql = "EXPLAIN " + DovecotVariable().Replace(query, "mailseal-doctor@invalid");
        try
        {
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
                await readOnly.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
#pragma warning disable CA2100 // The admin's own Dovecot query, one statement, only planned in a read-only transaction.
            await using (var explain = new NpgsqlCommand(sql, connection, transaction))
#pragma warning restore CA2100
                await explain.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await transaction.RollbackAsync(ct).ConfigureAwait(false);
            return new(DoctorCheck.Ok, check, "PostgreSQL accepts it on this schema");
        }
        catch (PostgresException e)
        {
            return new(DoctorCheck.Fail, check, $"{file}: PostgreSQL refuses it: {e.SqlState} {e.MessageText}: every login fails", "use the queries of dovecot/mailseal-sql.conf.ext");
        }
    }

    // passdb { driver = sql  args = /etc/dovecot/mailseal-sql.conf.ext } (and userdb), as doveconf -n prints them.
    [GeneratedRegex(@"^\s*(passdb|userdb)\s*\{([^}]*)\}", RegexOptions.Multiline)]
    private static partial Regex SqlDatabase();

    [GeneratedRegex(@"%\{[^}]*\}|%[A-Za-z]*[a-z]")]
    private static partial Regex DovecotVariable();
}
