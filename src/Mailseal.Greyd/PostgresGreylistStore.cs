using Npgsql;
using NpgsqlTypes;

namespace Mailseal.Greyd;

/// <summary>
/// The store several MX hosts share: tables <c>greyd_triplets</c> and <c>greyd_clients</c> in
/// one PostgreSQL database, and the decision in the function <c>greyd_check</c>, so each
/// request is one round trip (<c>SELECT * FROM greyd_check(...)</c>) that reads, decides and
/// writes under a row lock, with the database's clock (MX hosts whose clocks differ still agree).
/// Lookups go through the primary keys only. There is no index on last_seen on purpose: every
/// request updates last_seen, and an index on it would turn each of those updates from a HOT
/// update into index maintenance; expiry instead walks the primary key in small batches once an
/// hour, claimed by one instance at a time (<c>greyd_maintenance</c>), skipping rows a request
/// holds (<c>SKIP LOCKED</c>), so it never makes a request wait on more than one small batch.
/// Each request commits with <c>synchronous_commit = off</c>: a crash of the database may lose
/// the last fraction of a second of sightings, which only greylists those senders once more,
/// and no request waits for a WAL flush (the table stays consistent either way).
/// </summary>
public sealed class PostgresGreylistStore : IGreylistStore
{
    /// <summary>Rows deleted per expiry transaction.</summary>
    public const int ExpiryBatch = 500;

    // The schema and function are created under an advisory lock so instances starting together
    // do not race on CREATE OR REPLACE. Times are Unix seconds, as postgrey stores them.
    internal const string SchemaSql = """
        SELECT pg_advisory_xact_lock(7303342211);
        CREATE TABLE IF NOT EXISTS greyd_triplets (
            key text PRIMARY KEY,
            first_seen bigint NOT NULL,
            last_seen bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS greyd_clients (
            client text PRIMARY KEY,
            count bigint NOT NULL,
            last_seen bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS greyd_maintenance (
            task text PRIMARY KEY,
            claimed_until bigint NOT NULL,
            claimed_by text NOT NULL);
        CREATE OR REPLACE FUNCTION greyd_check(p_key text, p_client text, p_delay bigint, p_retry bigint, p_awl bigint, p_awl_interval bigint)
        RETURNS TABLE (outcome integer, remaining bigint, delayed bigint)
        LANGUAGE plpgsql AS $fn$
        DECLARE
            v_now bigint := floor(extract(epoch FROM clock_timestamp()));
            v_count bigint;
            v_clast bigint;
            v_first bigint;
            v_last bigint;
            v_passed boolean := false;
            v_diff bigint;
        BEGIN
            -- A greylist entry lost to a database crash only greylists that sender once more:
            -- do not wait for a WAL flush per request (other instances see the row at commit).
            PERFORM set_config('synchronous_commit', 'off', true);
            IF p_awl > 0 AND p_client IS NOT NULL THEN
                SELECT c.count, c.last_seen INTO v_count, v_clast FROM greyd_clients c WHERE c.client = p_client;
                IF v_count >= p_awl THEN
                    IF v_now >= v_clast + p_awl_interval OR v_clast > v_now THEN
                        UPDATE greyd_clients c SET count = c.count + 1, last_seen = v_now WHERE c.client = p_client;
                    END IF;
                    RETURN QUERY SELECT 0, 0::bigint, 0::bigint;
                    RETURN;
                END IF;
            END IF;
            SELECT t.first_seen, t.last_seen INTO v_first, v_last FROM greyd_triplets t WHERE t.key = p_key FOR UPDATE;
            IF FOUND THEN
                IF v_last - v_first >= p_delay THEN
                    v_passed := true;
                ELSIF v_now - v_first > p_retry THEN
                    v_first := v_now;
                END IF;
                IF v_first > v_now THEN
                    v_first := v_now;
                END IF;
                UPDATE greyd_triplets t SET first_seen = v_first, last_seen = v_now WHERE t.key = p_key;
            ELSE
                v_first := v_now;
                INSERT INTO greyd_triplets AS t (key, first_seen, last_seen) VALUES (p_key, v_now, v_now)
                    ON CONFLICT (key) DO UPDATE SET last_seen = excluded.last_seen;
            END IF;
            v_diff := p_delay - (v_now - v_first);
            IF p_awl > 0 AND p_client IS NOT NULL AND v_diff <= 0 AND NOT v_passed
               AND (v_clast IS NULL OR v_now >= v_clast + p_awl_interval) THEN
                INSERT INTO greyd_clients AS c (client, count, last_seen) VALUES (p_client, 1, v_now)
                    ON CONFLICT (client) DO UPDATE SET count = c.count + 1, last_seen = excluded.last_seen;
            END IF;
            IF v_diff > 0 THEN
                RETURN QUERY SELECT 1, v_diff, v_now - v_first;
            ELSIF NOT v_passed THEN
                RETURN QUERY SELECT 2, 0::bigint, v_now - v_first;
            ELSE
                RETURN QUERY SELECT 3, 0::bigint, v_now - v_first;
            END IF;
        END
        $fn$;
        """;

    private const string CheckSql = "SELECT outcome, remaining, delayed FROM greyd_check($1, $2, $3, $4, $5, $6)";

    private const string ClaimSql = """
        INSERT INTO greyd_maintenance AS m (task, claimed_until, claimed_by)
        VALUES ('expiry', floor(extract(epoch FROM clock_timestamp()))::bigint + $1, $2)
        ON CONFLICT (task) DO UPDATE SET claimed_until = excluded.claimed_until, claimed_by = excluded.claimed_by
            WHERE m.claimed_until <= floor(extract(epoch FROM clock_timestamp()))::bigint
        RETURNING claimed_by
        """;

    // Walks the primary key; locks (and deletes) only expired rows, skipping any a request holds.
    private const string ExpireTripletsSql = """
        WITH batch AS (
            SELECT key FROM greyd_triplets
            WHERE key > $1
              AND (floor(extract(epoch FROM clock_timestamp())) - last_seen > $3
                   OR (last_seen - first_seen < $4 AND floor(extract(epoch FROM clock_timestamp())) - last_seen > $5))
            ORDER BY key LIMIT $2 FOR UPDATE SKIP LOCKED),
        gone AS (
            DELETE FROM greyd_triplets t USING batch WHERE t.key = batch.key RETURNING 1)
        SELECT (SELECT max(key) FROM batch), (SELECT count(*) FROM batch), (SELECT count(*) FROM gone)
        """;

    private const string ExpireClientsSql = """
        DELETE FROM greyd_clients WHERE floor(extract(epoch FROM clock_timestamp())) - last_seen > $1
        """;

    /// <summary>Statements Npgsql prepares per connection unless the connection string says otherwise.</summary>
    public const int AutoPreparedStatements = 8;

    private readonly NpgsqlDataSource _dataSource;
    private readonly GreylistParameters _parameters;
    private readonly string _instanceName;

    /// <summary>Creates the store; the connection string's Timeout and Command Timeout bound each wait besides the caller's token.</summary>
    public PostgresGreylistStore(string connectionString, GreylistParameters parameters, string? instanceName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentNullException.ThrowIfNull(parameters);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
            builder.ApplicationName = "mailseal-greyd";
        // The per-request statement is prepared once per pooled connection (Npgsql's automatic
        // preparation) instead of parsed and planned by the server at every request; a
        // connection string that names Max Auto Prepare (0 turns it off, e.g. for a pooler that
        // cannot keep prepared statements) wins.
        if (!NamesMaxAutoPrepare(connectionString))
            builder.MaxAutoPrepare = AutoPreparedStatements;
        // The slim builder: basic types only. The full one roots every Npgsql type mapping, which
        // the native binary then rehydrates at every start of every tool (docs/native-binaries.md).
        _dataSource = new NpgsqlSlimDataSourceBuilder(builder.ConnectionString).Build();
        _parameters = parameters;
        _instanceName = instanceName ?? (System.Net.Dns.GetHostName() + ":" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Description = $"postgresql:Host={builder.Host};Port={builder.Port};Database={builder.Database}";
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(SchemaSql, connection, tx))
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<GreylistVerdict> CheckAsync(string tripletKey, string? clientKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tripletKey);
        await using var command = _dataSource.CreateCommand(CheckSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tripletKey, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)clientKey ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _parameters.Delay });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _parameters.RetryWindow });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _parameters.AutoWhitelistClients });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _parameters.AutoWhitelistInterval });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            throw new InvalidOperationException("greyd_check returned no row");
        var outcome = reader.GetInt32(0) switch
        {
            0 => GreylistOutcome.ClientAutoWhitelisted,
            1 => GreylistOutcome.Greylisted,
            2 => GreylistOutcome.PassedAfterDelay,
            _ => GreylistOutcome.Passed,
        };
        return new GreylistVerdict(outcome, reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>
    /// Expires old rows if this instance wins the hourly claim; another instance's claim, or
    /// one still running, makes this a no-op returning 0.
    /// </summary>
    public async Task<long> ExpireAsync(CancellationToken cancellationToken)
    {
        await using (var claim = _dataSource.CreateCommand(ClaimSql))
        {
            claim.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 3300 });
            claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _instanceName });
            if (await claim.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                return 0;
        }

        long deleted = 0;
        var after = string.Empty;
        while (true)
        {
            await using var command = _dataSource.CreateCommand(ExpireTripletsSql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = after });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = ExpiryBatch });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _parameters.MaxAge });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _parameters.Delay });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _parameters.RetryWindow });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var last = await reader.IsDBNullAsync(0, cancellationToken).ConfigureAwait(false) ? null : reader.GetString(0);
            var seen = reader.GetInt64(1);
            deleted += reader.GetInt64(2);
            if (last is null || seen < ExpiryBatch)
                break;
            after = last;
        }

        await using (var clients = _dataSource.CreateCommand(ExpireClientsSql))
        {
            clients.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _parameters.MaxAge });
            deleted += await clients.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <inheritdoc />
    public async Task<(long Triplets, long Clients)> ImportAsync(IEnumerable<KeyValuePair<string, (long First, long Last)>> triplets, IEnumerable<KeyValuePair<string, (long Count, long Last)>> clients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(triplets);
        ArgumentNullException.ThrowIfNull(clients);
        long t = 0, c = 0;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (key, value) in triplets)
        {
            await using var command = new NpgsqlCommand("INSERT INTO greyd_triplets (key, first_seen, last_seen) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING", connection, tx);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = value.First });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = value.Last });
            t += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var (key, value) in clients)
        {
            await using var command = new NpgsqlCommand("INSERT INTO greyd_clients (client, count, last_seen) VALUES ($1, $2, $3) ON CONFLICT (client) DO NOTHING", connection, tx);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = value.Count });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = value.Last });
            c += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (t, c);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static bool NamesMaxAutoPrepare(string connectionString) =>
        connectionString.Replace(" ", string.Empty, StringComparison.Ordinal).Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase);
}
