using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Testing;

/// <summary>
/// A scripted smtpd: answers each command from a table of replies (overridable per command
/// prefix) and records everything the client sent, including whether a final "." arrived.
/// </summary>
public sealed class FakeSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeSmtpServer(Dictionary<string, string>? replies = null, string ehloExtensions = "250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 SMTPUTF8")
    {
        Replies = replies ?? [];
        EhloExtensions = ehloExtensions;
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Endpoint => $"inet:127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public Dictionary<string, string> Replies { get; }

    public string EhloExtensions { get; }

    /// <summary>One SMTP session: what the client sent and whether its final dot arrived.</summary>
    public sealed class Session
    {
        public List<string> Commands { get; } = [];

        public StringBuilder Data { get; } = new();

        public bool FinalDotReceived { get; set; }

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public List<Session> Sessions { get; } = [];

    private Session First
    {
        get
        {
            lock (Sessions)
                return Sessions.Count > 0 ? Sessions[0] : _first;
        }
    }

    private readonly Session _first = new();

    public List<string> Commands => First.Commands;

    public StringBuilder Data => First.Data;

    public bool FinalDotReceived => First.FinalDotReceived;

    public TaskCompletionSource Finished => _first.Finished;

    /// <summary>Waits until <paramref name="count"/> sessions have ended.</summary>
    public async Task WaitForSessionsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task[] done;
            lock (Sessions)
                done = Sessions.Select(s => s.Finished.Task).ToArray();
            if (done.Length >= count && done.All(t => t.IsCompleted))
                return;
            if (DateTime.UtcNow > deadline)
            {
                string states;
                lock (Sessions)
                    states = string.Join(" | ", Sessions.Select(x => $"finished={x.Finished.Task.IsCompleted} dot={x.FinalDotReceived} last={x.Commands.LastOrDefault()} data={x.Data.Length}"));
                throw new TimeoutException($"{done.Length} of {count} SMTP sessions seen, not all ended: {states}");
            }
            await Task.Delay(20);
        }
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            Session session;
            lock (Sessions)
            {
                session = Sessions.Count == 0 ? _first : new Session();
                Sessions.Add(session);
            }

            _ = Task.Run(() => ServeOneAsync(client, session));
        }
    }

    private async Task ServeOneAsync(TcpClient acceptedClient, Session session)
    {
        try
        {
            using var client = acceptedClient;
            using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.Latin1);
            await using var writer = new StreamWriter(stream, Encoding.Latin1) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 fake ESMTP");
            bool inData = false;
            while (await reader.ReadLineAsync(_stop.Token) is string line)
            {
                if (inData)
                {
                    if (line == ".")
                    {
                        inData = false;
                        session.FinalDotReceived = true;
                        await writer.WriteLineAsync(Reply("."));
                        continue;
                    }

                    session.Data.Append(line).Append('\n');
                    continue;
                }

                session.Commands.Add(line);
                if (line.StartsWith("EHLO", StringComparison.Ordinal))
                {
                    await writer.WriteLineAsync("250-fake\r\n" + EhloExtensions);
                    continue;
                }

                string reply = Reply(line);
                await writer.WriteLineAsync(reply);
                if (line == "DATA" && reply.StartsWith("354", StringComparison.Ordinal))
                    inData = true;
                if (line == "QUIT")
                    break;
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // the client cut the connection off
        }
        catch (SocketException)
        {
        }
        finally
        {
            session.Finished.TrySetResult();
        }
    }

    private string Reply(string command)
    {
        foreach (var (prefix, reply) in Replies)
        {
            if (command.StartsWith(prefix, StringComparison.Ordinal))
                return reply;
        }

        return command switch
        {
            "DATA" => "354 End data with <CR><LF>.<CR><LF>",
            "." => "250 2.0.0 Ok: queued as 4FzQ1x2Abc",
            "QUIT" => "221 2.0.0 Bye",
            _ => "250 2.1.0 Ok",
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
