using System.Globalization;
using System.Text;
using System.Text.Json;
using Mailseal.Core.Accounts;
using Mailseal.Testing;
using Npgsql;
using Xunit.Sdk;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>PostgreSQL 15 from a copied template cluster, with the account schema (Mailseal.Core.Accounts) applied by the product's own code. Part of <see cref="MailStack"/>, which owns the ports, directories and lifecycle.</summary>
internal sealed class PostgresServer
{
    private readonly MailStack _stack;

    internal PostgresServer(MailStack stack) => _stack = stack;

    internal static async Task EnsureTemplateClusterAsync(CancellationToken ct)
    {
        if (File.Exists(Path.Combine(MailStack.TemplateCluster, "PG_VERSION")))
        {
            return;
        }

        if (!File.Exists(Path.Combine(MailStack.PgBin, "initdb")))
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({MailStack.PgBin}/initdb missing); tools/install-deps.sh installs it");
        }

        var tmp = MailStack.TemplateCluster + ".tmp";
        await ProcessRunner.RunAsync("rm", ["-rf", tmp], ct: ct).ConfigureAwait(false);
        await ProcessRunner.RunCheckedAsync("install", ["-d", "-o", "postgres", "-g", "postgres", "-m", "700", tmp], ct: ct).ConfigureAwait(false);
        await ProcessRunner.RunCheckedAsync(
            "runuser",
            ["-u", "postgres", "--", Path.Combine(MailStack.PgBin, "initdb"), "-D", tmp, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--wal-segsize=1"],
            timeout: TimeSpan.FromMinutes(2),
            ct: ct).ConfigureAwait(false);
        Directory.Move(tmp, MailStack.TemplateCluster);
    }

    internal async Task StartThenSchemaAsync(CancellationToken ct)
    {
        await StartAsync(ct).ConfigureAwait(false);
        await SetUpDatabaseAsync(ct).ConfigureAwait(false);
    }

    internal async Task StartAsync(CancellationToken ct)
    {
        var data = Path.Combine(_stack.TempDirectory, "pg", "data");
        var options = $"-c listen_addresses=127.0.0.1 -c port={_stack.PostgresPort} -c unix_socket_directories={_stack.PostgresSocketDirectory} -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        var rc = await ProcessRunner.RunDetachedAsync(
            "runuser",
            ["-u", "postgres", "--", Path.Combine(MailStack.PgBin, "pg_ctl"), "-D", data, "-l", Path.Combine(_stack.LogDirectory, "postgresql.log"), "-w", "-t", "60", "-o", options, "start"],
            Path.Combine(_stack.LogDirectory, "pg_ctl.out"),
            MailStack.StartTimeout,
            ct).ConfigureAwait(false);
        if (rc != 0)
        {
            throw new InvalidOperationException($"pg_ctl start exited {rc}\n{_stack.TailLog(MailService.Postgres)}");
        }

        _stack.RecordPid(MailService.Postgres);
        _stack.Lap("postgres up");
    }

    internal async Task SetUpDatabaseAsync(CancellationToken ct)
    {
        var admin = $"Host={_stack.PostgresSocketDirectory};Port={_stack.PostgresPort};Username=postgres;Database=postgres;Pooling=false;Timeout=15";
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            await using var setPw = new NpgsqlCommand("SELECT set_config('mailseal.reader_password', @pw, false)", c);
            setPw.Parameters.AddWithValue("pw", _stack.ReaderPassword);
            await setPw.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using var role = new NpgsqlCommand(
                "DO $$ BEGIN EXECUTE format('CREATE ROLE mailreader LOGIN PASSWORD %L', current_setting('mailseal.reader_password')); END $$", c);
            await role.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using var db = new NpgsqlCommand("CREATE DATABASE mail", c);
            await db.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await using (var c = await _stack.OpenDatabaseAsync(ct).ConfigureAwait(false))
        {
            await AccountSchema.ApplyAsync(c, ct).ConfigureAwait(false);
            await using var grant = new NpgsqlCommand("GRANT SELECT ON users, aliases TO mailreader", c);
            await grant.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        _stack.Lap("schema");
    }
}
