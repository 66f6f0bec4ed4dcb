using Microsoft.Data.Sqlite;

// Microsoft.Data.Sqlite's async methods run synchronously anyway; the store calls the
// synchronous ones under its lock (an await cannot sit inside a lock). Every SQL text here is a
// constant; values go in as parameters.
#pragma warning disable CA1849
#pragma warning disable CA2100

namespace Mailseal.Greyd;

/// <summary>
/// The embedded store: one SQLite file (default /var/lib/mailseal/greyd.sqlite) in WAL mode, one
/// connection with prepared statements. SQLite has one writer anyway and every request writes
/// (the last-seen time), so requests are committed in groups: the daemon's event loop hands
/// each round's requests to <see cref="CheckBatch"/>; through <see cref="CheckAsync"/>, those
/// that arrive while a commit is under way go into the next transaction together (group
/// commit). Either way many commits' locking, WAL frame writes and page updates become one
/// transaction, and every batch goes through <see cref="CheckBatch"/>. A request is answered only
/// after the commit holding its writes is in the WAL, so a daemon killed at any
/// point (SIGKILL included) loses no triplet it has answered for; <c>synchronous=NORMAL</c>
/// (the default) may lose the last commits on power loss, <c>--sqlite-synchronous full</c>
/// fsyncs each one.
/// </summary>
public sealed class SqliteGreylistStore : ILocalGreylistStore
{
    /// <summary>Rows deleted per expiry batch; the lock is released between batches.</summary>
    public const int ExpiryBatch = 500;

    /// <summary>Most requests committed in one transaction (bounds the wait of the last one in a batch).</summary>
    public const int MaxBatch = 256;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS greyd_triplets (key TEXT PRIMARY KEY NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS greyd_clients (client TEXT PRIMARY KEY NOT NULL, count INTEGER NOT NULL, last_seen INTEGER NOT NULL) WITHOUT ROWID;
        """;

    /// <summary>How often the background checkpointer looks for new commits to copy into the database file.</summary>
    public static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>WAL pages at which the writer checkpoints by itself (a backstop: the background checkpointer normally runs long before).</summary>
    public const int AutoCheckpointPages = 8000;

    private readonly Lock _lock = new();
    private readonly Lock _checkpointLock = new();
    private SqliteConnection? _checkpointConnection;
    private Timer? _checkpointTimer;
    private long _checkpointedAt;
    private readonly Lock _queueLock = new();
    private List<PendingCheck> _queue = [];
    private List<PendingCheck> _spare = [];
    private bool _committing;
    private long _commits;
    private readonly string _path;
    private readonly GreylistParameters _parameters;
    private readonly TimeProvider _time;
    private readonly bool _fullSync;
    private readonly TimeSpan _busyTimeout;
    private SqliteConnection? _connection;
    private SqliteCommand? _getTriplet;
    private SqliteCommand? _putTriplet;
    private SqliteCommand? _getClient;
    private SqliteCommand? _putClient;
    private SqliteCommand? _begin;
    private SqliteCommand? _commit;
    private SqliteCommand? _rollback;

    /// <summary>Creates the store; nothing is opened until <see cref="InitializeAsync"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="parameters">The greylist timing.</param>
    /// <param name="fullSync">fsync every commit (power-loss safe) instead of WAL's NORMAL.</param>
    /// <param name="busyTimeout">Most time to wait for a lock another process holds (an import).</param>
    /// <param name="time">The clock; tests pass a fake one.</param>
    public SqliteGreylistStore(string path, GreylistParameters parameters, bool fullSync = false, TimeSpan? busyTimeout = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parameters);
        _path = path;
        _parameters = parameters;
        _fullSync = fullSync;
        _busyTimeout = busyTimeout ?? TimeSpan.FromSeconds(1);
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Description => "sqlite:" + _path;

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_connection is not null)
                return Task.CompletedTask;
            var directory = Path.GetDirectoryName(Path.GetFullPath(_path));
            if (directory is not null && !Directory.Exists(directory))
                throw new IOException($"{directory}: no such directory for the greylist database");
            SqliteLibrary.EnsureRegistered();
            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = _path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
                DefaultTimeout = Math.Max(1, (int)Math.Ceiling(_busyTimeout.TotalSeconds)),
            };
            var connection = new SqliteConnection(builder.ToString());
            try
            {
                connection.Open();
                Execute(connection, $"PRAGMA busy_timeout = {(long)_busyTimeout.TotalMilliseconds}");
                Execute(connection, "PRAGMA journal_mode = WAL");
                Execute(connection, _fullSync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
                // The background checkpointer (below) copies the WAL into the database; the
                // writer checkpoints on its own only past this backstop.
                Execute(connection, $"PRAGMA wal_autocheckpoint = {AutoCheckpointPages}");
                Execute(connection, Schema);
                _getTriplet = Prepare(connection, "SELECT first_seen, last_seen FROM greyd_triplets WHERE key = $key", "$key");
                _putTriplet = Prepare(connection, "INSERT INTO greyd_triplets (key, first_seen, last_seen) VALUES ($key, $first, $last) ON CONFLICT (key) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen", "$key", "$first", "$last");
                _getClient = Prepare(connection, "SELECT count, last_seen FROM greyd_clients WHERE client = $client", "$client");
                _putClient = Prepare(connection, "INSERT INTO greyd_clients (client, count, last_seen) VALUES ($client, $count, $last) ON CONFLICT (client) DO UPDATE SET count = excluded.count, last_seen = excluded.last_seen", "$client", "$count", "$last");
                _begin = Prepare(connection, "BEGIN IMMEDIATE");
                _commit = Prepare(connection, "COMMIT");
                _rollback = Prepare(connection, "ROLLBACK");
                _connection = connection;
                StartCheckpointer();
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Queues the request for the next group commit and returns once that commit is done. The
    /// first caller to find no commit under way runs one itself on its own thread (so one
    /// connection pays no thread hop); requests that arrive meanwhile wait in the queue, and a
    /// thread-pool worker commits them together, in arrival order, in one transaction, until
    /// the queue is empty; the waiting requests' continuations (their replies) run on that
    /// committing thread, with no further hand-off. Every request is answered only after the
    /// transaction holding its writes has committed; when a batch fails, every request in it
    /// gets the exception (the handler answers as for a store that is down).
    /// </summary>
    public ValueTask<GreylistVerdict> CheckAsync(string tripletKey, string? clientKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tripletKey);
        var request = new PendingCheck(tripletKey, clientKey);
        bool lead;
        lock (_queueLock)
        {
            _queue.Add(request);
            lead = !_committing;
            _committing = true;
        }

        if (lead && CommitNextBatch())
            ThreadPool.UnsafeQueueUserWorkItem(static store => store.CommitUntilEmpty(), this, preferLocal: false);
        return new ValueTask<GreylistVerdict>(request.Task);
    }

    /// <summary>How many transactions the requests so far were committed in (tests, statistics).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    private void CommitUntilEmpty()
    {
        while (CommitNextBatch())
        {
        }
    }

    /// <summary>Commits what is queued (at most <see cref="MaxBatch"/>); true when more is waiting (the caller must go on).</summary>
    private bool CommitNextBatch()
    {
        List<PendingCheck> batch;
        lock (_queueLock)
        {
            if (_queue.Count == 0)
            {
                _committing = false;
                return false;
            }

            if (_queue.Count <= MaxBatch)
            {
                batch = _queue;
                _queue = _spare;
                _spare = batch;
            }
            else
            {
                batch = _queue.GetRange(0, MaxBatch);
                _queue.RemoveRange(0, MaxBatch);
            }
        }

        Commit(batch);
        batch.Clear();
        lock (_queueLock)
        {
            if (_queue.Count > 0)
                return true;
            _committing = false;
            return false;
        }
    }

    /// <summary>Commits one group of queued requests as one batch, then answers each of them.</summary>
    private void Commit(List<PendingCheck> batch)
    {
        var checks = new (string TripletKey, string? ClientKey)[batch.Count];
        for (var i = 0; i < batch.Count; i++)
            checks[i] = (batch[i].TripletKey, batch[i].ClientKey);
        var verdicts = new GreylistVerdict[batch.Count];
        Exception? failure = null;
        try
        {
            CheckBatch(checks, verdicts);
        }
#pragma warning disable CA1031 // handed to every waiting request, whose handler answers as for a store that is down
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e;
        }

        // Only now, with the batch durable in the WAL, may any of them be answered.
        for (var i = 0; i < batch.Count; i++)
        {
            if (failure is null)
                batch[i].TrySetResult(verdicts[i]);
            else
                batch[i].TrySetException(failure);
        }
    }

    /// <inheritdoc />
    public void CheckBatch(ReadOnlySpan<(string TripletKey, string? ClientKey)> checks, Span<GreylistVerdict> verdicts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(verdicts.Length, checks.Length, nameof(verdicts));
        lock (_lock)
        {
            if (_connection is null)
                throw new InvalidOperationException("the greylist store is not open");
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            _begin!.ExecuteNonQuery();
            try
            {
                // In arrival order: a triplet asked twice in one batch sees its first write.
                for (var i = 0; i < checks.Length; i++)
                    verdicts[i] = Decide(checks[i].TripletKey, checks[i].ClientKey, now);
                _commit!.ExecuteNonQuery();
                Interlocked.Increment(ref _commits);
            }
            catch
            {
                TryRollback();
                throw;
            }
        }
    }

    private GreylistVerdict Decide(string tripletKey, string? clientKey, long now)
    {
        ClientRecord? client = null;
        if (clientKey is not null && _parameters.AutoWhitelistClients > 0)
        {
            _getClient!.Parameters[0].Value = clientKey;
            using var r = _getClient.ExecuteReader();
            if (r.Read())
                client = new ClientRecord(r.GetInt64(0), r.GetInt64(1));
        }

        // A client on the automatic whitelist passes without its triplet being read or written.
        var whitelisted = client is { } c && c.Count >= _parameters.AutoWhitelistClients;
        var triplet = whitelisted ? null : ReadTriplet(tripletKey);
        var (verdict, newTriplet, newClient) = GreylistRules.Evaluate(now, triplet, client, clientKey is not null, _parameters);
        if (newTriplet is { } t)
        {
            _putTriplet!.Parameters[0].Value = tripletKey;
            _putTriplet.Parameters[1].Value = t.FirstSeen;
            _putTriplet.Parameters[2].Value = t.LastSeen;
            _putTriplet.ExecuteNonQuery();
        }

        if (newClient is { } nc)
        {
            _putClient!.Parameters[0].Value = clientKey;
            _putClient.Parameters[1].Value = nc.Count;
            _putClient.Parameters[2].Value = nc.LastSeen;
            _putClient.ExecuteNonQuery();
        }

        return verdict;
    }

    /// <inheritdoc />
    public async Task<long> ExpireAsync(CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var sql in new[]
        {
            "DELETE FROM greyd_triplets WHERE key IN (SELECT key FROM greyd_triplets WHERE $now - last_seen > $maxAge OR (last_seen - first_seen < $delay AND $now - last_seen > $retry) LIMIT $batch)",
            "DELETE FROM greyd_clients WHERE client IN (SELECT client FROM greyd_clients WHERE $now - last_seen > $maxAge LIMIT $batch)",
        })
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int deleted;
                lock (_lock)
                {
                    if (_connection is null)
                        throw new InvalidOperationException("the greylist store is not open");
                    using var command = _connection.CreateCommand();
                    command.CommandText = sql;
                    command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeSeconds());
                    command.Parameters.AddWithValue("$maxAge", _parameters.MaxAge);
                    command.Parameters.AddWithValue("$delay", _parameters.Delay);
                    command.Parameters.AddWithValue("$retry", _parameters.RetryWindow);
                    command.Parameters.AddWithValue("$batch", ExpiryBatch);
                    deleted = command.ExecuteNonQuery();
                }

                total += deleted;
                if (deleted < ExpiryBatch)
                    break;
                await Task.Yield();
            }
        }

        return total;
    }

    /// <inheritdoc />
    public Task<(long Triplets, long Clients)> ImportAsync(IEnumerable<KeyValuePair<string, (long First, long Last)>> triplets, IEnumerable<KeyValuePair<string, (long Count, long Last)>> clients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(triplets);
        ArgumentNullException.ThrowIfNull(clients);
        long t, c;
        lock (_lock)
        {
            if (_connection is null)
                throw new InvalidOperationException("the greylist store is not open");
            using var tx = _connection.BeginTransaction();
            t = InsertAll(tx, "INSERT INTO greyd_triplets (key, first_seen, last_seen) VALUES ($key, $a, $b) ON CONFLICT (key) DO NOTHING", triplets, cancellationToken);
            c = InsertAll(tx, "INSERT INTO greyd_clients (client, count, last_seen) VALUES ($key, $a, $b) ON CONFLICT (client) DO NOTHING", clients, cancellationToken);
            tx.Commit();
        }

        return Task.FromResult((t, c));
    }

    /// <summary>Rows in the triplet table (tests, statistics).</summary>
    public long CountTriplets()
    {
        lock (_lock)
        {
            using var command = _connection!.CreateCommand();
            command.CommandText = "SELECT count(*) FROM greyd_triplets";
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <summary>
    /// Opens the checkpointer's own connection and its timer. A checkpoint copies the WAL's
    /// pages into the database file and fsyncs both (also with <c>synchronous=NORMAL</c>); left
    /// to SQLite, the commit that crosses <c>wal_autocheckpoint</c> does it while every request
    /// waits. A PASSIVE checkpoint on a second connection runs beside the writer instead (WAL
    /// allows one writer and one checkpointer at once) and never waits for it. Durability does
    /// not change: a commit is in the WAL before its requests are answered either way.
    /// </summary>
    private void StartCheckpointer()
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {(long)_busyTimeout.TotalMilliseconds}");
            Execute(connection, _fullSync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        _checkpointConnection = connection;
        _checkpointTimer = new Timer(static s => ((SqliteGreylistStore)s!).Checkpoint(), this, CheckpointInterval, CheckpointInterval);
    }

    /// <summary>Checkpoints when anything was committed since the last time (an idle daemon does nothing).</summary>
    private void Checkpoint()
    {
        lock (_checkpointLock)
        {
            var commits = Interlocked.Read(ref _commits);
            if (_checkpointConnection is null || commits == _checkpointedAt)
                return;
            _checkpointedAt = commits;
            try
            {
                Execute(_checkpointConnection, "PRAGMA wal_checkpoint(PASSIVE)");
            }
            catch (SqliteException)
            {
                // Busy or failed: the next tick tries again, and the writer's own
                // autocheckpoint (AutoCheckpointPages) bounds the WAL meanwhile.
                _checkpointedAt = -1;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _checkpointTimer?.Dispose();
        lock (_checkpointLock)
        {
            _checkpointConnection?.Dispose();
            _checkpointConnection = null;
        }

        lock (_lock)
        {
            foreach (var command in new[] { _getTriplet, _putTriplet, _getClient, _putClient, _begin, _commit, _rollback })
                command?.Dispose();
            _connection?.Dispose();
            _connection = null;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Inserts (key, a, b) rows with one prepared statement; returns how many were new.</summary>
    private long InsertAll(SqliteTransaction tx, string sql, IEnumerable<KeyValuePair<string, (long A, long B)>> rows, CancellationToken cancellationToken)
    {
        using var insert = _connection!.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = sql;
        var key = insert.Parameters.Add("$key", SqliteType.Text);
        var a = insert.Parameters.Add("$a", SqliteType.Integer);
        var b = insert.Parameters.Add("$b", SqliteType.Integer);
        long added = 0;
        foreach (var (k, v) in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            key.Value = k;
            a.Value = v.A;
            b.Value = v.B;
            added += insert.ExecuteNonQuery();
        }

        return added;
    }

    private TripletRecord? ReadTriplet(string key)
    {
        _getTriplet!.Parameters[0].Value = key;
        using var r = _getTriplet.ExecuteReader();
        return r.Read() ? new TripletRecord(r.GetInt64(0), r.GetInt64(1)) : null;
    }

    private void TryRollback()
    {
        try
        {
            _rollback!.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // No transaction left to roll back (SQLite rolled it back itself).
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
            command.Parameters.AddWithValue(name, DBNull.Value);
        command.Prepare();
        return command;
    }
}
