using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// A small IMAP4rev1 client for tests (RFC 3501): LOGIN, SELECT, FETCH BODY.PEEK[], LOGOUT.
/// Literals ({n}) are read as bytes, so messages come back exactly as stored. Every read is
/// bounded by <see cref="Timeout"/>; a response is at most <see cref="MaxLiteralBytes"/>.
/// </summary>
public sealed class ImapTestClient : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly BufferedStream _stream;
    private int _tag;

    private ImapTestClient(TcpClient client)
    {
        _client = client;
        _stream = new BufferedStream(client.GetStream(), 16384);
    }

    /// <summary>The longest wait for one response line.</summary>
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest literal (message) accepted.</summary>
    public static int MaxLiteralBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Messages in the mailbox after the last SELECT.</summary>
    public int Exists { get; private set; }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and reads the greeting.</summary>
    public static async Task<ImapTestClient> ConnectAsync(int port, CancellationToken ct = default)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port, ct).ConfigureAwait(false);
            var imap = new ImapTestClient(tcp);
            var greeting = await imap.ReadLineAsync(ct).ConfigureAwait(false);
            if (!greeting.StartsWith("* OK", StringComparison.Ordinal))
            {
                await imap.DisposeAsync().ConfigureAwait(false);
                throw new IOException($"IMAP greeting: {greeting}");
            }

            return imap;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>LOGIN; throws <see cref="ImapCommandException"/> when refused.</summary>
    public Task LoginAsync(string user, string password, CancellationToken ct = default) =>
        RunAsync($"LOGIN {Quote(user)} {Quote(password)}", "LOGIN", ct);

    /// <summary>SELECT a mailbox (INBOX by default) and returns how many messages it holds.</summary>
    public async Task<int> SelectAsync(string mailbox = "INBOX", CancellationToken ct = default)
    {
        Exists = 0;
        await RunAsync($"SELECT {Quote(mailbox)}", "SELECT", ct).ConfigureAwait(false);
        return Exists;
    }

    /// <summary>Fetches every message of the selected mailbox, raw (BODY.PEEK[]), in sequence order.</summary>
    public async Task<IReadOnlyList<byte[]>> FetchAllAsync(CancellationToken ct = default)
    {
        if (Exists == 0)
        {
            return Array.Empty<byte[]>();
        }

        var bodies = new SortedDictionary<int, byte[]>();
        await RunAsync("FETCH 1:* (BODY.PEEK[])", "FETCH", ct, bodies).ConfigureAwait(false);
        return bodies.Values.ToList();
    }

    /// <summary>LOGOUT (errors ignored: the session is over either way).</summary>
    public async Task LogoutAsync(CancellationToken ct = default)
    {
        try
        {
            await RunAsync("LOGOUT", "LOGOUT", ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    private static string Quote(string s) =>
        "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private async Task RunAsync(string command, string name, CancellationToken ct, SortedDictionary<int, byte[]>? bodies = null)
    {
        var t = "a" + (++_tag).ToString(CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes($"{t} {command}\r\n");
        await _stream.WriteAsync(bytes, ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        while (true)
        {
            var line = await ReadLineAsync(ct).ConfigureAwait(false);
            if (line.StartsWith(t + " ", StringComparison.Ordinal))
            {
                if (line.AsSpan(t.Length + 1).StartsWith("OK", StringComparison.Ordinal))
                {
                    return;
                }

                throw new ImapCommandException(name, line[(t.Length + 1)..]);
            }

            if (line.StartsWith("* ", StringComparison.Ordinal) && line.EndsWith(" EXISTS", StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(2, line.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var exists))
            {
                Exists = exists;
                continue;
            }

            var open = line.LastIndexOf('{');
            if (line.EndsWith('}') && open >= 0
                && int.TryParse(line.AsSpan(open + 1, line.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                if (size > MaxLiteralBytes)
                {
                    throw new IOException($"IMAP literal of {size} bytes exceeds {MaxLiteralBytes}");
                }

                var literal = new byte[size];
                await ReadExactlyAsync(literal, ct).ConfigureAwait(false);
                if (bodies is not null && line.StartsWith("* ", StringComparison.Ordinal))
                {
                    var space = line.IndexOf(' ', 2);
                    if (space > 2 && int.TryParse(line.AsSpan(2, space - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
                    {
                        bodies[seq] = literal;
                    }
                }

                // the rest of the response after the literal, e.g. ")"
                _ = await ReadLineAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private async Task ReadExactlyAsync(byte[] buffer, CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(Timeout);
        try
        {
            await _stream.ReadExactlyAsync(buffer, timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"IMAP literal not read within {Timeout.TotalSeconds} s");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(Timeout);
        var line = new List<byte>(128);
        var one = new byte[1];
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(one, timer.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new IOException("the IMAP server closed the connection");
                }

                if (one[0] == '\n')
                {
                    if (line.Count > 0 && line[^1] == '\r')
                    {
                        line.RemoveAt(line.Count - 1);
                    }

                    return Encoding.UTF8.GetString(line.ToArray());
                }

                line.Add(one[0]);
                if (line.Count > 65536)
                {
                    throw new IOException("IMAP response line longer than 64 KiB");
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no IMAP response within {Timeout.TotalSeconds} s");
        }
    }
}
