using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Mailseal.Policy;

namespace Mailseal.Benchmarks;

/// <summary>
/// The load both policy-daemon benchmarks put on a server: every connection sends request
/// <c>i</c> (numbers handed out in order across connections) and waits for its reply before it
/// sends the next, as an smtpd does, until <c>count</c> requests or the time limit.
/// </summary>
/// <remarks>
/// One thread drives every connection through epoll(7), as a load generator written in C would:
/// a thread per connection cost this process 17-26 us of CPU per request in sleeps and
/// wake-ups, as much as the fastest daemon measured spends, on the same two cores
/// (docs/benchmarks.md). The latency of a request runs from its send to the end of its reply as
/// this thread sees it, so it includes any wait for the thread: it can only overstate a
/// daemon's latency. A connection with nothing to read 10 s after the limit fails the run.
/// </remarks>
public static class LockStepLoad
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>Runs the load; throws <see cref="InvalidOperationException"/> when a connection fails before the limit.</summary>
    /// <param name="connections">Open connections (sockets or a spawned program's pipes).</param>
    /// <param name="count">Requests 0..count-1 at most.</param>
    /// <param name="limit">Time limit.</param>
    /// <param name="request">The text of request <c>i</c>.</param>
    /// <param name="cpuTime">The server's CPU time so far, read before and after; null when not known.</param>
    /// <param name="cancellationToken">Stops the load.</param>
    public static async Task<LockStepResult> RunAsync(IReadOnlyList<PolicyConnection> connections, int count, TimeSpan limit, Func<int, string> request, Func<TimeSpan>? cpuTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(request);
        if (connections.Any(c => c.ReadHandle < 0))
            throw new ArgumentException("every connection needs a descriptor to wait on", nameof(connections));
        var cpuBefore = cpuTime?.Invoke() ?? TimeSpan.Zero;
        var clientBefore = CpuTime.Self();
        var watch = Stopwatch.StartNew();
        LockStepResult? result = null;
        Exception? crash = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = Drive(connections, count, limit, request, cancellationToken);
            }
            catch (Exception e)
            {
                crash = e;
            }
        })
        { IsBackground = true, Name = "lock-step load" };
        thread.Start();
        await Task.Run(thread.Join, CancellationToken.None).ConfigureAwait(false);
        watch.Stop();
        if (crash is not null)
            ExceptionDispatchInfo.Throw(crash);
        var clientCpu = CpuTime.Self() - clientBefore;
        var cpu = (cpuTime?.Invoke() ?? TimeSpan.Zero) - cpuBefore;
        return result! with { Elapsed = watch.Elapsed, Cpu = cpu, ClientCpu = clientCpu };
    }

    private static LockStepResult Drive(IReadOnlyList<PolicyConnection> connections, int count, TimeSpan limit, Func<int, string> request, CancellationToken cancellationToken)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        var giveUpAt = stopAt + (long)(Grace.TotalSeconds * Stopwatch.Frequency);
        var latencies = new List<double>(Math.Min(count, 1 << 20));
        var answers = new Dictionary<string, int>(StringComparer.Ordinal);
        var started = new long[connections.Count];
        var asked = new int[connections.Count];
        var busy = new bool[connections.Count];
        string? sample = null;
        var next = 0;
        var active = 0;

        using var epoll = new Epoll();
        for (var w = 0; w < connections.Count; w++)
            epoll.Add(connections[w].ReadHandle, (ulong)w);

        // Sends the next request on connection w; false when there is none left to send.
        bool SendNext(int w)
        {
            if (next >= count || cancellationToken.IsCancellationRequested || Stopwatch.GetTimestamp() >= stopAt)
                return false;
            asked[w] = next;
            var text = request(next++);
            started[w] = Stopwatch.GetTimestamp();
            connections[w].Send(text);
            return true;
        }

        void Finish(int w)
        {
            busy[w] = false;
            active--;
            epoll.Remove(connections[w].ReadHandle);
        }

        for (var w = 0; w < connections.Count; w++)
        {
            busy[w] = SendNext(w);
            if (busy[w])
                active++;
        }

        Span<Epoll.Event> ready = stackalloc Epoll.Event[Math.Min(connections.Count, 256)];
        while (active > 0)
        {
            var n = epoll.Wait(ready, 1000);
            if (n == 0 && Stopwatch.GetTimestamp() > giveUpAt)
                throw new InvalidOperationException($"{active} connection(s) still without a reply {Grace.TotalSeconds} s after the time limit");
            for (var k = 0; k < n; k++)
            {
                var w = (int)ready[k].Data;
                if (!busy[w])
                    continue;
                string? reply;
                try
                {
                    reply = connections[w].ReadSome();
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
                {
                    if (Stopwatch.GetTimestamp() < stopAt)
                        throw new InvalidOperationException("a connection failed: " + e.Message, e);
                    Finish(w);
                    continue;
                }

                if (reply is null)
                    continue;
                latencies.Add(Stopwatch.GetElapsedTime(started[w]).TotalMilliseconds);
                var space = reply.IndexOf(' ', StringComparison.Ordinal);
                var word = space < 0 ? reply : reply[..space];
                answers[word] = answers.GetValueOrDefault(word) + 1;
                if (asked[w] == 0)
                    sample = reply;
                if (!SendNext(w))
                    Finish(w);
            }
        }

        latencies.Sort();
        var distinct = string.Join(" ", answers.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}:{kv.Value}"));
        return new LockStepResult([.. latencies], TimeSpan.Zero, TimeSpan.Zero, distinct, sample ?? string.Empty, TimeSpan.Zero);
    }
}
