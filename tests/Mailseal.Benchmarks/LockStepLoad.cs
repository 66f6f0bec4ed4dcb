using System.Diagnostics;

namespace Mailseal.Benchmarks;

/// <summary>
/// The load both policy-daemon benchmarks put on a server: one thread per connection, each
/// sending request <c>i</c> (numbers handed out in order across threads) and waiting for its
/// reply, as an smtpd does, until <c>count</c> requests or the time limit. A connection still
/// blocked 10 s after the limit is closed under its thread.
/// </summary>
public static class LockStepLoad
{
    /// <summary>Runs the load; throws <see cref="InvalidOperationException"/> when a connection fails before the limit.</summary>
    /// <param name="connections">Open connections, one thread each.</param>
    /// <param name="count">Requests 0..count-1 at most.</param>
    /// <param name="limit">Time limit.</param>
    /// <param name="request">The text of request <c>i</c>.</param>
    /// <param name="cpuTime">The server's CPU time so far, read before and after; null when not known.</param>
    /// <param name="cancellationToken">Stops the load.</param>
    public static async Task<LockStepResult> RunAsync(IReadOnlyList<PolicyConnection> connections, int count, TimeSpan limit, Func<int, string> request, Func<TimeSpan>? cpuTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(request);
        var next = -1;
        var latencies = new List<double>[connections.Count];
        var answers = new Dictionary<string, int>(StringComparer.Ordinal);
        var stopAt = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        string? sample = null;
        Exception? failure = null;
        var cpuBefore = cpuTime?.Invoke() ?? TimeSpan.Zero;
        var clientBefore = CpuTime.Self();
        var watch = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, connections.Count).Select(w => new Thread(() =>
        {
            latencies[w] = [];
            try
            {
                while (!cancellationToken.IsCancellationRequested && Stopwatch.GetTimestamp() < stopAt)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= count)
                        break;
                    var started = Stopwatch.GetTimestamp();
                    var reply = connections[w].Ask(request(i));
                    latencies[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    var word = reply.Split(' ')[0];
                    lock (answers)
                        answers[word] = answers.GetValueOrDefault(word) + 1;
                    if (i == 0)
                        sample = reply;
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
            {
                if (Stopwatch.GetTimestamp() < stopAt)
                    Interlocked.CompareExchange(ref failure, e, null);
            }
        })
        { IsBackground = true, Name = "load " + w }).ToList();
        threads.ForEach(t => t.Start());
        using (new Timer(_ => DisposeAll(connections), null, limit + TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan))
            await Task.Run(() => threads.ForEach(t => t.Join()), CancellationToken.None).ConfigureAwait(false);
        watch.Stop();
        var clientCpu = CpuTime.Self() - clientBefore;
        var cpu = (cpuTime?.Invoke() ?? TimeSpan.Zero) - cpuBefore;
        if (failure is not null)
            throw new InvalidOperationException("a connection failed: " + failure.Message, failure);
        var all = latencies.Where(l => l is not null).SelectMany(l => l).Order().ToArray();
        string distinct;
        lock (answers)
            distinct = string.Join(" ", answers.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}:{kv.Value}"));
        return new LockStepResult(all, watch.Elapsed, cpu, distinct, sample ?? string.Empty, clientCpu);
    }

    private static void DisposeAll(IReadOnlyList<PolicyConnection> connections)
    {
        foreach (var c in connections)
            c.Dispose();
    }
}
