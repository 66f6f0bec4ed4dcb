using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.EndToEnd.Tests.Harness;

/// <summary>
/// A small SMTP client for tests (RFC 5321): EHLO, AUTH PLAIN, MAIL, RCPT, DATA with dot
/// stuffing, QUIT. No TLS: the harness listens on loopback only. Every read is bounded by
/// <see cref="Timeout"/>.
/// </summary>
public sealed class SmtpTestClient : IAsyncDisposable
{
    private const int MaxReplyLines = 100;
    private const int MaxLineLength = 4096;
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private SmtpTestClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new StreamReader(_stream, Encoding.Latin1, false, 1024, leaveOpen: true);
    }

    /// <summary>The longest wait for one reply.</summary>
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and reads the greeting (must be 220).</summary>
    public static async Task<SmtpTestClient> ConnectAsync(int port, CancellationToken ct = default)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync("127.0.0.1", port, ct).ConfigureAwait(false);
            var smtp = new SmtpTestClient(tcp);
            var greeting = await smtp.ReadReplyAsync(ct).ConfigureAwait(false);
            if (greeting.Code != 220)
            {
                await smtp.DisposeAsync().ConfigureAwait(false);
                throw new SmtpReplyException("(greeting)", greeting);
            }

            return smtp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends EHLO; the reply must be 250.</summary>
    public Task<SmtpReply> EhloAsync(string name = "client.example.org", CancellationToken ct = default) =>
        ExpectAsync($"EHLO {name}", 250, ct);

    /// <summary>AUTH PLAIN with <paramref name="user"/> and <paramref name="password"/>; must be 235.</summary>
    public async Task AuthPlainAsync(string user, string password, CancellationToken ct = default)
    {
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
        await WriteLineAsync($"AUTH PLAIN {token}", ct).ConfigureAwait(false);
        var reply = await ReadReplyAsync(ct).ConfigureAwait(false);
        if (reply.Code != 235)
        {
            throw new SmtpReplyException("AUTH PLAIN", reply);
        }
    }

    /// <summary>Sends MAIL FROM; must be 250.</summary>
    public Task<SmtpReply> MailFromAsync(string sender, CancellationToken ct = default) =>
        ExpectAsync($"MAIL FROM:<{sender}>", 250, ct);

    /// <summary>Sends RCPT TO; must be 250 or 251.</summary>
    public async Task<SmtpReply> RcptToAsync(string recipient, CancellationToken ct = default)
    {
        var reply = await CommandAsync($"RCPT TO:<{recipient}>", ct).ConfigureAwait(false);
        return reply.Code is 250 or 251 ? reply : throw new SmtpReplyException($"RCPT TO:<{recipient}>", reply);
    }

    /// <summary>Sends DATA and the message (CRLF line ends, dot stuffed); the final reply must be 250.</summary>
    public async Task<SmtpReply> DataAsync(string message, CancellationToken ct = default)
    {
        await ExpectAsync("DATA", 354, ct).ConfigureAwait(false);
        var text = message.ReplaceLineEndings("\r\n");
        var sb = new StringBuilder(text.Length + 64);
        foreach (var line in text.Split("\r\n"))
        {
            if (line.StartsWith('.'))
            {
                sb.Append('.');
            }

            sb.Append(line).Append("\r\n");
        }

        if (text.EndsWith("\r\n", StringComparison.Ordinal))
        {
            sb.Length -= 2; // Split left an empty last element for the final CRLF
        }

        sb.Append(".\r\n");
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        await _stream.WriteAsync(bytes, ct).ConfigureAwait(false);
        var reply = await ReadReplyAsync(ct).ConfigureAwait(false);
        return reply.Code == 250 ? reply : throw new SmtpReplyException("DATA (end of message)", reply);
    }

    /// <summary>Sends QUIT and reads the 221 (errors ignored: the session is over either way).</summary>
    public async Task QuitAsync(CancellationToken ct = default)
    {
        try
        {
            await CommandAsync("QUIT", ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Sends one command line and returns the reply, whatever its code.</summary>
    public async Task<SmtpReply> CommandAsync(string line, CancellationToken ct = default)
    {
        await WriteLineAsync(line, ct).ConfigureAwait(false);
        return await ReadReplyAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Sends one command and throws unless the reply code is <paramref name="expected"/>.</summary>
    public async Task<SmtpReply> ExpectAsync(string line, int expected, CancellationToken ct = default)
    {
        var reply = await CommandAsync(line, ct).ConfigureAwait(false);
        return reply.Code == expected ? reply : throw new SmtpReplyException(line, reply);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    /// <summary>The queue id in a Postfix "250 2.0.0 Ok: queued as ID" reply, or null.</summary>
    public static string? QueueIdOf(SmtpReply reply)
    {
        const string marker = "queued as ";
        foreach (var l in reply.Lines)
        {
            var i = l.IndexOf(marker, StringComparison.Ordinal);
            if (i >= 0)
            {
                return l[(i + marker.Length)..].Trim();
            }
        }

        return null;
    }

    private async Task WriteLineAsync(string line, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\r\n");
        await _stream.WriteAsync(bytes, ct).ConfigureAwait(false);
    }

    private async Task<SmtpReply> ReadReplyAsync(CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(Timeout);
        var lines = new List<string>();
        while (true)
        {
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no SMTP reply within {Timeout.TotalSeconds} s");
            }

            if (line is null)
            {
                throw new IOException("the SMTP server closed the connection" + (lines.Count > 0 ? $" after: {string.Join(" / ", lines)}" : string.Empty));
            }

            if (line.Length < 3 || line.Length > MaxLineLength || !int.TryParse(line.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            {
                throw new IOException($"malformed SMTP reply line: {line}");
            }

            lines.Add(line.Length > 4 ? line[4..] : string.Empty);
            if (line.Length == 3 || line[3] == ' ')
            {
                return new SmtpReply(code, lines);
            }

            if (lines.Count > MaxReplyLines)
            {
                throw new IOException("SMTP reply longer than 100 lines");
            }
        }
    }
}
