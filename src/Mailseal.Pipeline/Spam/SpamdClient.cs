using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Mailseal.Pipeline.Spam;

/// <summary>
/// A client for SpamAssassin's spamd, speaking the SPAMC/1.5 protocol itself (no spamc
/// process per message). It sends <c>HEADERS</c>, which makes spamd return the header block
/// it would write, and keeps only the X-Spam-* fields: the body is never changed, so the
/// message that is encrypted afterwards is the one that arrived.
/// </summary>
public sealed class SpamdClient
{
    private const string ProtocolVersion = "SPAMC/1.5";
    private readonly SpamdClientOptions _options;
    private readonly ServiceEndpoint _endpoint;

    /// <summary>Creates a client; the endpoint is parsed now so a bad value fails at start-up.</summary>
    public SpamdClient(SpamdClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _endpoint = ServiceEndpoint.Parse(options.Endpoint);
    }

    /// <summary>The options in force.</summary>
    public SpamdClientOptions Options => _options;

    /// <summary>
    /// Asks spamd for a verdict on a whole message (at most <see cref="SpamdClientOptions.MaxMessageSize"/>
    /// bytes: the caller decides what to do with larger ones).
    /// </summary>
    /// <exception cref="SpamdException">spamd unreachable, timed out, or answered badly.</exception>
    public async Task<SpamVerdict> CheckAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length > _options.MaxMessageSize)
            throw new ArgumentException($"message of {message.Length} bytes is over spam_max_size ({_options.MaxMessageSize})", nameof(message));

        var request = new StringBuilder();
        request.Append("HEADERS ").Append(ProtocolVersion).Append("\r\n");
        request.Append("Content-length: ").Append(message.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        if (!string.IsNullOrEmpty(_options.User))
            request.Append("User: ").Append(SanitizeHeaderValue(_options.User)).Append("\r\n");
        request.Append("\r\n");

        byte[] reply = await ExchangeAsync(Encoding.ASCII.GetBytes(request.ToString()), message, cancellationToken).ConfigureAwait(false);
        return ParseHeadersReply(reply, _endpoint.Text);
    }

    /// <summary>Checks that spamd answers (<c>PING</c> -> <c>PONG</c>).</summary>
    /// <exception cref="SpamdException">No PONG.</exception>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        byte[] reply = await ExchangeAsync(Encoding.ASCII.GetBytes("PING " + ProtocolVersion + "\r\n\r\n"), ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        string status = FirstLine(reply);
        if (!status.StartsWith("SPAMD/", StringComparison.Ordinal) || !status.EndsWith(" PONG", StringComparison.Ordinal))
            throw new SpamdException($"spamd at {_endpoint.Text} did not answer PING: '{Printable(status)}'");
    }

    /// <summary>Parses a reply to HEADERS. Internal so the protocol can be tested on recorded replies.</summary>
    internal static SpamVerdict ParseHeadersReply(ReadOnlySpan<byte> reply, string endpoint)
    {
        int headerEnd = IndexOfBlankLine(reply, out int bodyStart);
        if (headerEnd < 0)
            throw new SpamdException($"spamd at {endpoint} sent a reply with no end of headers");

        string head = Encoding.ASCII.GetString(reply[..headerEnd]);
        string[] lines = head.Split("\r\n");
        string status = lines[0];
        // SPAMD/1.1 0 EX_OK
        string[] parts = status.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("SPAMD/", StringComparison.Ordinal))
            throw new SpamdException($"spamd at {endpoint} sent a malformed status line: '{Printable(status)}'");
        if (parts[1] != "0")
            throw new SpamdException($"spamd at {endpoint} refused the message: {Printable(string.Join(' ', parts.Skip(1)))}");

        int? contentLength = null;
        (bool IsSpam, double Score, double Threshold)? spam = null;
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                throw new SpamdException($"spamd at {endpoint} sent a malformed header: '{Printable(line)}'");
            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-length", StringComparison.OrdinalIgnoreCase))
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                    throw new SpamdException($"spamd at {endpoint} sent a bad Content-length: '{Printable(value)}'");
                contentLength = n;
            }
            else if (name.Equals("Spam", StringComparison.OrdinalIgnoreCase))
            {
                spam = ParseSpamHeader(value, endpoint);
            }
        }

        if (spam is null)
            throw new SpamdException($"spamd at {endpoint} sent no Spam: header");
        ReadOnlySpan<byte> body = reply[bodyStart..];
        if (contentLength is int expected && expected != body.Length)
            throw new SpamdException($"spamd at {endpoint} sent {body.Length} bytes of headers but announced {expected}");

        var headers = ExtractSpamHeaders(Encoding.Latin1.GetString(body));
        return new SpamVerdict(spam.Value.IsSpam, spam.Value.Score, spam.Value.Threshold, headers);
    }

    private static (bool IsSpam, double Score, double Threshold) ParseSpamHeader(string value, string endpoint)
    {
        // "True ; 1002.3 / 5.0"
        string[] halves = value.Split(';', 2);
        string[] scores = halves.Length == 2 ? halves[1].Split('/', 2) : [];
        bool? isSpam = halves[0].Trim().ToUpperInvariant() switch
        {
            "TRUE" or "YES" => true,
            "FALSE" or "NO" => false,
            _ => null,
        };
        if (isSpam is null || scores.Length != 2
            || !double.TryParse(scores[0].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double score)
            || !double.TryParse(scores[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double threshold))
            throw new SpamdException($"spamd at {endpoint} sent a malformed Spam header: '{Printable(value)}'");
        return (isSpam.Value, score, threshold);
    }

    /// <summary>Picks the X-Spam-* fields (with their continuation lines) out of a header block.</summary>
    internal static IReadOnlyList<string> ExtractSpamHeaders(string headerBlock)
    {
        var result = new List<string>();
        StringBuilder? current = null;
        foreach (string raw in headerBlock.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
                break;
            bool continuation = line[0] is ' ' or '\t';
            if (continuation)
            {
                current?.Append(line).Append("\r\n");
                continue;
            }

            if (current is not null)
                result.Add(current.ToString());
            current = line.StartsWith("X-Spam-", StringComparison.OrdinalIgnoreCase)
                ? new StringBuilder().Append(line).Append("\r\n")
                : null;
        }

        if (current is not null)
            result.Add(current.ToString());
        return result;
    }

    private async Task<byte[]> ExchangeAsync(byte[] requestHead, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        var endPoint = _endpoint.EndPoint;
        using var socket = _endpoint.IsUnix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token))
            {
                connectTimeout.CancelAfter(_options.ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(endPoint, connectTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new SpamdException($"spamd at {_endpoint.Text}: connect timed out after {_options.ConnectTimeout.TotalSeconds:0.#} s");
                }
            }

            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(requestHead, timeout.Token).ConfigureAwait(false);
            if (!body.IsEmpty)
                await stream.WriteAsync(body, timeout.Token).ConfigureAwait(false);
            await stream.FlushAsync(timeout.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);

            var buffer = new System.Buffers.ArrayBufferWriter<byte>(16 * 1024);
            byte[] chunk = GC.AllocateUninitializedArray<byte>(16 * 1024);
            while (true)
            {
                int n = await stream.ReadAsync(chunk, timeout.Token).ConfigureAwait(false);
                if (n == 0)
                    break;
                if (buffer.WrittenCount + n > _options.MaxResponseSize)
                    throw new SpamdException($"spamd at {_endpoint.Text} sent more than {_options.MaxResponseSize} bytes");
                buffer.Write(chunk.AsSpan(0, n));
            }

            if (buffer.WrittenCount == 0)
                throw new SpamdException($"spamd at {_endpoint.Text} closed the connection without a reply");
            return buffer.WrittenSpan.ToArray();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SpamdException($"spamd at {_endpoint.Text}: no answer within {_options.Timeout.TotalSeconds:0.#} s");
        }
        catch (SocketException e)
        {
            throw new SpamdException($"spamd at {_endpoint.Text}: {e.Message}", isTransient: true, e);
        }
        catch (IOException e)
        {
            throw new SpamdException($"spamd at {_endpoint.Text}: {e.Message}", isTransient: true, e);
        }
    }

    private static int IndexOfBlankLine(ReadOnlySpan<byte> data, out int bodyStart)
    {
        int i = data.IndexOf("\r\n\r\n"u8);
        if (i >= 0)
        {
            bodyStart = i + 4;
            return i;
        }

        // PING's reply ends after its status line.
        int eol = data.IndexOf("\r\n"u8);
        if (eol >= 0 && eol + 2 == data.Length)
        {
            bodyStart = data.Length;
            return eol;
        }

        bodyStart = -1;
        return -1;
    }

    private static string FirstLine(ReadOnlySpan<byte> data)
    {
        int eol = data.IndexOf((byte)'\n');
        return Encoding.ASCII.GetString(eol < 0 ? data : data[..eol]).TrimEnd('\r');
    }

    private static string SanitizeHeaderValue(string value) =>
        new(value.Where(c => c >= 0x21 && c < 0x7F).ToArray());

    private static string Printable(string s)
    {
        var clean = new string(s.Select(c => c < 0x20 || c >= 0x7F ? '?' : c).ToArray());
        return clean.Length > 200 ? clean[..200] + "..." : clean;
    }
}
